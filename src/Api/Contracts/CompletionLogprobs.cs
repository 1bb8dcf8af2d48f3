namespace GqaService.Api.Contracts;

/// <summary>
/// Completions' logprobs (the legacy OpenAI shape): per generated token its text, its log-probability, the most likely
/// alternatives (token text → logprob) and its offset in the generated text (UTF-16 characters from the start of this
/// choice's text). Log-probabilities are the natural-log softmax of the model's raw logits, before logit_bias, penalties and
/// temperature.
/// </summary>
public sealed record CompletionLogprobs
{
    /// <example>[" Once"]</example>
    public required IReadOnlyList<string> Tokens { get; init; }
    /// <example>[-0.25]</example>
    public required IReadOnlyList<double> TokenLogprobs { get; init; }
    public required IReadOnlyList<IReadOnlyDictionary<string, double>> TopLogprobs { get; init; }
    /// <example>[0]</example>
    public required IReadOnlyList<int> TextOffset { get; init; }
}
