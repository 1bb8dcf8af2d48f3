namespace GqaService.Api.Contracts;

/// <summary>The answer of POST /v1/perplexity.</summary>
public sealed record PerplexityResponse
{
    /// <example>perplexity</example>
    public string Object { get; init; } = "perplexity";
    /// <example>stories260K</example>
    public required string Model { get; init; }
    /// <summary>Next-token predictions scored: every input token after the first.</summary>
    /// <example>1024</example>
    public required int Tokens { get; init; }
    /// <summary>Mean negative log-likelihood per scored token, in nats (float64 log-softmax of the decoder's logits).</summary>
    /// <example>1.92</example>
    public required double MeanNll { get; init; }
    /// <summary>exp(mean_nll).</summary>
    /// <example>6.8</example>
    public required double Perplexity { get; init; }
    /// <summary>K plus V bytes one token takes in the loaded KV layout (all layers).</summary>
    /// <example>1280</example>
    public required long KvBytesPerToken { get; init; }
    /// <example>4</example>
    public required int NumKvHeads { get; init; }
    /// <summary>The checkpoint's own K/V head count when the service regrouped it at load; null otherwise.</summary>
    public int? RegroupedFromKvHeads { get; init; }
    /// <summary>Tokens fed per window (the served context less one).</summary>
    /// <example>511</example>
    public required int Window { get; init; }
    /// <example>255</example>
    public required int Stride { get; init; }
    /// <summary>Windows the text was cut into; each ran as one scoring request in the engine's batches.</summary>
    /// <example>4</example>
    public required int Windows { get; init; }
}
