namespace GqaService.Api.Contracts;

/// <summary>One Server-Sent Event of a streamed /v1/completions answer.</summary>
public sealed record CompletionChunk
{
    public required string Id { get; init; }
    /// <example>text_completion</example>
    public string Object { get; init; } = "text_completion";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<CompletionChunkChoice> Choices { get; init; }
    /// <summary>Only on the last chunk before [DONE], and only with stream_options.include_usage.</summary>
    public Usage? Usage { get; init; }
}
