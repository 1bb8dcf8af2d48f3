namespace GqaService.Inference.Perplexity;

/// <summary>
/// A finished perplexity pass: <see cref="Tokens"/> predictions scored (every input token after the first), their mean
/// negative log-likelihood in nats, <c>exp</c> of it, and the KV bytes per token of the layout that computed it.
/// </summary>
public sealed record PerplexityResult(int Tokens, double MeanNegativeLogLikelihood, long KvBytesPerToken, int Window, int Stride, int Windows)
{
    public double Perplexity => Math.Exp(MeanNegativeLogLikelihood);
}
