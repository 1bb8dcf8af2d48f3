using GqaService.Inference.Engine;

namespace GqaService.Inference.Perplexity;

/// <summary>Exactly one of a result and the engine's failure of one of the windows (the others were cancelled).</summary>
public sealed record PerplexityOutcome(PerplexityResult? Result, GenerationFailed? Failed);
