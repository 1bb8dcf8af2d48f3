namespace GqaService.Inference.Sampling;

/// <summary>
/// The tokens a row's penalties count: the sequence so far (prompt then output) and where the output starts. Read only
/// while the step is planned and sampled; the sequence owns the list.
/// </summary>
public readonly record struct SamplingHistory(IReadOnlyList<int> Tokens, int PromptLength)
{
    public static SamplingHistory None { get; } = new([], 0);
}
