namespace GqaService.Inference.Engine;

/// <summary>What one step produced, copied out of libtorch: the chosen token id of each sampling row, in the sampling batch's order.</summary>
/// <remarks>Logprobs, when they come, travel here too, copied out only for the rows that asked.</remarks>
internal sealed record StepOutput(IReadOnlyList<int> TokenIds)
{
    /// <summary>What the step's scoring sequences measured, one entry per such work row.</summary>
    public IReadOnlyList<ScoredRows> Scores { get; init; } = [];
}
