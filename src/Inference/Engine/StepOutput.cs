using GqaService.Inference.Sampling;

namespace GqaService.Inference.Engine;

/// <summary>
/// What one step produced, copied out of libtorch: the chosen token id of each sampling row, in the sampling batch's order,
/// and the logprobs of the rows that asked (null elsewhere, and wholly absent when no row asked).
/// </summary>
internal sealed record StepOutput(IReadOnlyList<int> TokenIds, IReadOnlyList<TokenLogprobs?>? Logprobs = null)
{
    /// <summary>What the step's scoring sequences measured, one entry per such work row.</summary>
    public IReadOnlyList<ScoredRows> Scores { get; init; } = [];
}
