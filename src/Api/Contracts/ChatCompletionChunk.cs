namespace GqaService.Api.Contracts;

/// <summary>One Server-Sent Event of a streamed /v1/chat/completions answer.</summary>
public sealed record ChatCompletionChunk
{
    public required string Id { get; init; }
    /// <example>chat.completion.chunk</example>
    public string Object { get; init; } = "chat.completion.chunk";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<ChatChunkChoice> Choices { get; init; }
    /// <summary>Only on the last chunk before [DONE], and only with stream_options.include_usage.</summary>
    public Usage? Usage { get; init; }
}
