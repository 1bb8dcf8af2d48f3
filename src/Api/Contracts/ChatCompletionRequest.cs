namespace GqaService.Api.Contracts;

/// <summary>POST /v1/chat/completions.</summary>
public sealed class ChatCompletionRequest : CompletionRequestBase
{
    /// <summary>The conversation so far; at least one message.</summary>
    public IReadOnlyList<ChatMessageInput?>? Messages { get; init; }

    /// <summary>Newer name for max_tokens; wins when both are given.</summary>
    /// <example>64</example>
    public int? MaxCompletionTokens { get; init; }
}
