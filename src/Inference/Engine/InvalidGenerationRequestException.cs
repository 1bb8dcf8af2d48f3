using GqaService.Inference.Limits;

namespace GqaService.Inference.Engine;

/// <summary>A request the engine can never serve; <see cref="Errors"/> name the offending JSON fields (maps to HTTP 400).</summary>
public sealed class InvalidGenerationRequestException(IReadOnlyList<FieldError> errors)
    : Exception(string.Join(" ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;
}
