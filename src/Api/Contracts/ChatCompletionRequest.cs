namespace GqaService.Api.Contracts;

/// <summary>POST /v1/chat/completions.</summary>
public sealed class ChatCompletionRequest : CompletionRequestBase
{
    /// <summary>The conversation so far; at least one message.</summary>
    public IReadOnlyList<ChatMessageInput?>? Messages { get; init; }

    /// <summary>Newer name for max_tokens; wins when both are given.</summary>
    /// <example>64</example>
    public int? MaxCompletionTokens { get; init; }

    /// <summary>Return each token's logprob: natural-log softmax of the raw logits, before logit_bias, penalties and temperature.</summary>
    /// <example>false</example>
    public bool? Logprobs { get; init; }

    /// <summary>With logprobs: this many most likely alternatives per token (0..20).</summary>
    /// <example>0</example>
    public int? TopLogprobs { get; init; }
}
