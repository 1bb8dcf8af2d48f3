namespace GqaService.Inference.Engine;

/// <summary>What a scoring request measured: how many next-token predictions it scored and their summed negative log-likelihood (nats, float64).</summary>
public sealed record PromptScore(int ScoredTokens, double NegativeLogLikelihood);
