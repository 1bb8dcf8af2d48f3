namespace GqaService.Inference.Sampling;

/// <summary>
/// The log-probability of the token a row chose and the row's most likely alternatives (most likely first), under the
/// log-softmax of the raw logits: before logit bias, penalties and temperature, as OpenAI reports them.
/// </summary>
public sealed record TokenLogprobs(double Logprob, IReadOnlyList<TokenLogprob> Top);
