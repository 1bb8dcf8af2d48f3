namespace GqaService.Inference.Sampling;

/// <summary>What the sampler copied out: each row's chosen id and, for the rows that asked, its logprobs (null elsewhere).</summary>
public sealed record SamplerResult(int[] TokenIds, TokenLogprobs?[] Logprobs);
