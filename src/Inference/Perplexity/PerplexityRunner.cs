using GqaService.Inference.Engine;

namespace GqaService.Inference.Perplexity;

/// <summary>
/// Runs a perplexity pass through the engine: one scoring request (<see cref="PromptScoring"/>) per window of the
/// <see cref="PerplexityPlan"/>, a few at a time so the engine batches them like any prefill, then the float64 sum of their
/// negative log-likelihoods over the tokens they scored. Validate first (<c>GenerationRequestValidator.ValidatePerplexity</c>).
/// </summary>
public static class PerplexityRunner
{
    /// <summary>Windows in flight at once: enough to fill a batch of small windows, few enough not to crowd out other requests.</summary>
    public const int WindowsInFlight = 4;

    /// <exception cref="EngineOverloadedException">A window found the queue full.</exception>
    /// <exception cref="EngineUnavailableException">The engine is loading or stopping.</exception>
    public static async Task<PerplexityOutcome> RunAsync(IInferenceEngine engine, IReadOnlyList<int> tokens, int? stride, string requestId,
        CancellationToken cancellationToken = default)
    {
        var window = PerplexityPlan.Window(engine.Limits);
        var chosenStride = stride ?? PerplexityPlan.DefaultStride(window);
        var windows = PerplexityPlan.Windows(tokens.Count, window, chosenStride);
        var handles = new List<GenerationHandle>();
        var running = new List<Task<GenerationResult>>();
        var scored = 0;
        double negativeLogLikelihood = 0;
        try
        {
            var next = 0;
            while (next < windows.Count || running.Count > 0)
            {
                while (next < windows.Count && running.Count < WindowsInFlight)
                {
                    var handle = engine.Submit(Request(tokens, windows[next], $"{requestId}-w{next}"));
                    handles.Add(handle);
                    running.Add(GenerationResult.CollectAsync(handle, cancellationToken));
                    next++;
                }
                var done = await Task.WhenAny(running);
                running.Remove(done);
                var result = await done;
                if (result.Failed is { } failed)
                {
                    return new PerplexityOutcome(null, failed);
                }
                var score = result.Finished!.Score ?? throw new InvalidOperationException("A scoring request finished without a score.");
                scored += score.ScoredTokens;
                negativeLogLikelihood += score.NegativeLogLikelihood;
            }
        }
        finally
        {
            // Cancelling a finished request is a no-op; one still running (after a failure or the caller's cancellation) frees its blocks.
            foreach (var handle in handles)
            {
                handle.Dispose();
            }
        }
        if (scored != tokens.Count - 1)
        {
            throw new InvalidOperationException($"The windows scored {scored} tokens where {tokens.Count - 1} were planned.");
        }
        var bytesPerToken = engine.GetMemorySnapshot().KvBytesPerToken;
        return new PerplexityOutcome(new PerplexityResult(scored, negativeLogLikelihood / scored, bytesPerToken, window, chosenStride, windows.Count), null);
    }

    private static GenerationRequest Request(IReadOnlyList<int> tokens, PerplexityWindow window, string id) => new()
    {
        RequestId = id,
        PromptTokenIds = tokens.Skip(window.Start).Take(window.Length).ToArray(),
        MaxTokens = 1,
        Scoring = new PromptScoring(window.FirstScored, tokens[window.Start + window.Length]),
        Fields = Limits.RequestFieldNames.Perplexity,
    };
}
