namespace GqaService.Api.Contracts;

/// <summary>The body of a non-streamed /v1/chat/completions answer.</summary>
public sealed record ChatCompletionResponse
{
    /// <example>chatcmpl-3f2a9c</example>
    public required string Id { get; init; }
    /// <example>chat.completion</example>
    public string Object { get; init; } = "chat.completion";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<ChatChoice> Choices { get; init; }
    public required Usage Usage { get; init; }
}
