namespace GqaService.Inference.Model;

/// <summary>A model configuration that cannot describe a working decoder; <see cref="Field"/> names the culprit.</summary>
public sealed class ModelConfigException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}
