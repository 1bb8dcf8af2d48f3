using System.Diagnostics;
using GqaService.Inference.Engine;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GqaService.Benchmarks;

/// <summary>Starts an in-process engine and times streamed requests against it the way an HTTP client would see them.</summary>
internal static class EngineClient
{
    public static async Task<InferenceEngine> StartAsync(EngineOptions options)
    {
        var engine = new InferenceEngine(Options.Create(options), NullLogger<InferenceEngine>.Instance);
        await engine.StartAsync();
        return engine;
    }

    public static async Task<StreamTiming> StreamAsync(InferenceEngine engine, IReadOnlyList<int> prompt, int maxTokens, string id)
    {
        var started = Stopwatch.GetTimestamp();
        using var handle = engine.Submit(new GenerationRequest { RequestId = id, PromptTokenIds = prompt, MaxTokens = maxTokens, IgnoreEos = true });
        double? firstMs = null;
        var gaps = new List<double>();
        var last = started;
        var tokens = 0;
        await foreach (var generationEvent in handle.Events.ReadAllAsync())
        {
            if (generationEvent is GenerationFailed failed)
            {
                throw new InvalidOperationException($"{failed.Code}: {failed.Message}");
            }
            if (generationEvent is not TokenGenerated)
            {
                continue;
            }
            var now = Stopwatch.GetTimestamp();
            if (firstMs is null)
            {
                firstMs = Stopwatch.GetElapsedTime(started, now).TotalMilliseconds;
            }
            else
            {
                gaps.Add(Stopwatch.GetElapsedTime(last, now).TotalMilliseconds);
            }
            last = now;
            tokens++;
        }
        return new StreamTiming(firstMs ?? double.NaN, gaps, tokens);
    }
}
