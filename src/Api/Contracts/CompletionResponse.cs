namespace GqaService.Api.Contracts;

/// <summary>The body of a non-streamed /v1/completions answer.</summary>
public sealed record CompletionResponse
{
    /// <example>cmpl-3f2a9c</example>
    public required string Id { get; init; }
    /// <example>text_completion</example>
    public string Object { get; init; } = "text_completion";
    /// <example>1767225600</example>
    public required long Created { get; init; }
    /// <example>stories260K</example>
    public required string Model { get; init; }
    public required IReadOnlyList<CompletionChoice> Choices { get; init; }
    public required Usage Usage { get; init; }
}
