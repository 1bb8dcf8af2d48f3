namespace GqaService.Inference.Sampling;

/// <summary>One token and its log-probability under the model's raw distribution (natural log).</summary>
public readonly record struct TokenLogprob(int TokenId, double Logprob);
