namespace GqaService.Api.Contracts;

/// <summary>POST /v1/completions.</summary>
public sealed class CompletionRequest : CompletionRequestBase
{
    /// <summary>A string (encoded with BOS) or an array of token ids used exactly as given.</summary>
    public PromptInput? Prompt { get; init; }

    /// <summary>
    /// Return each token's logprob and this many most likely alternatives (0..5). Natural-log softmax of the raw logits,
    /// before logit_bias, penalties and temperature.
    /// </summary>
    /// <example>0</example>
    public int? Logprobs { get; init; }
}
