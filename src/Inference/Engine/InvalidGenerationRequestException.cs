namespace GqaService.Inference.Engine;

/// <summary>A request the engine can never serve; <see cref="Field"/> names the offending input (maps to HTTP 400).</summary>
public sealed class InvalidGenerationRequestException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
