namespace GqaService.Api.Contracts;

/// <summary>The first chunk carries the role; later chunks carry content; the final chunk is empty.</summary>
public sealed record ChatDelta
{
    /// <example>assistant</example>
    public string? Role { get; init; }
    public string? Content { get; init; }
}
