namespace GqaService.Inference.Perplexity;

/// <summary>
/// One window of a perplexity pass: tokens <c>[Start, Start + Length)</c> are fed, and the predictions at window positions
/// <c>FirstScored..Length-1</c> are scored against the token that follows each (the last against token <c>Start + Length</c>).
/// </summary>
public sealed record PerplexityWindow(int Start, int Length, int FirstScored)
{
    public int ScoredTokens => Length - FirstScored;
}
