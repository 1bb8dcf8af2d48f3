using GqaService.Inference.Limits;

namespace GqaService.Inference.Perplexity;

/// <summary>
/// Cuts a token sequence into context-sized windows with a stride, the sliding-window evaluation Hugging Face's perplexity
/// guide describes: window <c>k</c> starts at <c>k × stride</c>, holds up to <see cref="Window"/> tokens, and scores only
/// the predictions whose targets no earlier window scored. Every token after the first is scored exactly once; after the
/// first window each one is predicted from at least <c>window − stride</c> tokens of context. A smaller stride gives more
/// context per prediction (a lower, fairer perplexity) for more computation; stride = window gives disjoint windows.
/// </summary>
public static class PerplexityPlan
{
    /// <summary>Tokens one window feeds: the longest prompt the engine accepts (context − 1, or the whole KV pool if smaller).</summary>
    public static int Window(ServingLimits limits) => Math.Max(1, Math.Min(limits.ContextTokens - 1, limits.KvPoolTokens));

    /// <summary>The default stride: half the window.</summary>
    public static int DefaultStride(int window) => Math.Max(1, window / 2);

    /// <param name="tokenCount">At least 2: the first token is context only.</param>
    public static IReadOnlyList<PerplexityWindow> Windows(int tokenCount, int window, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokenCount, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        if (stride < 1 || stride > window)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), $"stride must lie in 1..{window} (got {stride}).");
        }
        // Predictions are made at positions 0..tokenCount-2; a window feeding [start, end) predicts targets start+1..end.
        var last = tokenCount - 1;
        var windows = new List<PerplexityWindow>();
        var scoredUpTo = 0;
        for (var start = 0; scoredUpTo < last; start += stride)
        {
            var end = Math.Min(start + window, last);
            windows.Add(new PerplexityWindow(start, end - start, scoredUpTo - start));
            scoredUpTo = end;
        }
        return windows;
    }
}
