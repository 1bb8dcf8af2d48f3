using GqaService.Inference.Limits;
using GqaService.Inference.Sampling;

namespace GqaService.Inference.Engine;

/// <summary>An immutable request as the API hands it to the engine. Token ids are used exactly as given (BOS included by the caller).</summary>
public sealed record GenerationRequest
{
    public required string RequestId { get; init; }
    public required IReadOnlyList<int> PromptTokenIds { get; init; }
    public required int MaxTokens { get; init; }
    public SamplingParameters Sampling { get; init; } = SamplingParameters.Greedy;
    public bool IgnoreEos { get; init; }
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
    /// <summary>Stop strings matched on the detokenised output (needs a tokenizer).</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];
    /// <summary>When set, the sequence's tokens and KV blocks outlive the request under this id.</summary>
    public string? SessionId { get; init; }
    /// <summary>Who the request is served for (the API key's tenant; empty when keys are off, i.e. one tenant). Sessions
    /// and cached prefixes are never shared across tenants.</summary>
    public string Tenant { get; init; } = "";
    /// <summary>The session this request runs in, as its tenant owns it; null without a session id.</summary>
    public KvCache.SessionKey? Session => SessionId is null ? null : new(Tenant, SessionId);
    /// <summary>Absolute deadline; the request is cancelled (and reported) when it passes.</summary>
    public DateTimeOffset? Deadline { get; init; }
    /// <summary>When set, the request scores its prompt (perplexity) instead of generating; <see cref="MaxTokens"/> is then 1.</summary>
    public PromptScoring? Scoring { get; init; }
    /// <summary>
    /// How many choices to generate (OpenAI's <c>n</c>). The prompt is prefilled once; the choices fork its KV blocks when its
    /// first token is sampled, and choice i samples with <see cref="SamplingParameters.SeedOfChoice"/> of the seed.
    /// </summary>
    public int Choices { get; init; } = 1;
    /// <summary>When set, every generated token carries its logprob and this many most likely alternatives (0 for none).</summary>
    public int? TopLogprobs { get; init; }
    /// <summary>The JSON names the prompt and the token limit arrived under; validation errors are keyed by them.</summary>
    public RequestFieldNames Fields { get; init; } = RequestFieldNames.Completion;
}
