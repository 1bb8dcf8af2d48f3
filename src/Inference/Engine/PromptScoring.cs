namespace GqaService.Inference.Engine;

/// <summary>
/// Turns a request into a scoring pass (perplexity) instead of a generation: the prompt is prefilled with logits for every
/// position, and the prediction at each position <c>p ≥ FirstScoredPosition</c> is scored against the token that follows it
/// (<c>prompt[p + 1]</c>, or <paramref name="FollowingTokenId"/> after the last prompt token). Nothing is sampled; the
/// request finishes when the prompt is computed, its <see cref="GenerationFinished.Score"/> holding the summed negative
/// log-likelihood. Its prompt is always computed, never taken from the shared-prefix cache, and it has no session.
/// </summary>
public sealed record PromptScoring(int FirstScoredPosition, int FollowingTokenId);
