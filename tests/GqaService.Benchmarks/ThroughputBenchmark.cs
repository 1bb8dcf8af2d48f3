using System.Diagnostics;
using GqaService.Inference.Engine;

namespace GqaService.Benchmarks;

/// <summary>
/// Closed-loop load at several concurrency levels against the in-process engine: each of N streams sends requests back
/// to back (greedy, EOS ignored, fixed output length). Prints aggregate output tokens/s, TTFT and inter-token latency
/// percentiles and the mean number of sequences per decoder step.
/// </summary>
internal static class ThroughputBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        var model = arguments.Text("--model");
        var levels = arguments.Ints("--concurrency", [1, 4, 16, 64]);
        var maxTokens = arguments.Int("--max-tokens", 128);
        var perStream = arguments.Int("--requests-per-stream", 3);
        var promptTokens = arguments.Int("--prompt-tokens", 16);
        var options = new EngineOptions
        {
            ModelPath = model,
            MaxSequencesPerStep = Math.Max(64, levels.Max()),
            MaxBatchedTokens = arguments.Int("--max-batched-tokens", Math.Max(512, levels.Max())),
            PrefillChunkSize = arguments.Int("--prefill-chunk", new EngineOptions().PrefillChunkSize),
            RequestTimeoutSeconds = 0,
            TorchThreads = arguments.Int("--threads", 0),
            WeightDtype = arguments.Text("--weight-dtype") ?? new EngineOptions().WeightDtype,
            KvDtype = arguments.Text("--kv-dtype") ?? new EngineOptions().KvDtype,
        };
        using var engine = await EngineClient.StartAsync(options);
        using var batches = new BatchSizeListener();
        var config = engine.Model.Config;
        Console.WriteLine($"model: {engine.Model.Id} ({engine.Model.ParameterCount:N0} parameters; dim {config.Dim}, {config.NumLayers} layers, {config.NumHeads} heads, {config.NumKvHeads} KV heads, vocab {config.VocabSize})");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; {maxTokens} new tokens per request, {promptTokens}-token prompts, {perStream} requests per stream");
        Console.WriteLine($"weights {engine.Model.ComputePrecision}, KV {options.KvDtype}");
        Console.WriteLine($"chunked prefill: {options.PrefillChunkSize} tokens per chunk, at most {options.MaxBatchedTokens} tokens per step");
        Console.WriteLine("| concurrency | output tok/s | TTFT p50 ms | TTFT p95 ms | ITL p50 ms | ITL p95 ms | mean batch |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var random = new Random(1234);
        await EngineClient.StreamAsync(engine, Prompt(random, promptTokens, config), 8, "warmup");
        foreach (var concurrency in levels)
        {
            batches.Reset();
            var (all, seconds) = await RunLevelAsync(engine, concurrency, perStream, promptTokens, maxTokens, random);
            var tokens = all.Sum(t => t.Tokens);
            var ttft = all.Select(t => t.TimeToFirstTokenMs).ToList();
            var itl = all.SelectMany(t => t.InterTokenMs).ToList();
            Console.WriteLine($"| {concurrency} | {tokens / seconds:F1} | {Percentiles.Of(ttft, 50):F1} | {Percentiles.Of(ttft, 95):F1} | {Percentiles.Of(itl, 50):F2} | {Percentiles.Of(itl, 95):F2} | {batches.MeanBatchSize:F1} |");
        }
        await engine.StopAsync();
        return 0;
    }

    /// <summary>Runs <paramref name="concurrency"/> closed-loop streams of <paramref name="perStream"/> requests each; their timings and the wall time.</summary>
    public static async Task<(List<StreamTiming> Timings, double Seconds)> RunLevelAsync(InferenceEngine engine, int concurrency, int perStream,
        int promptTokens, int maxTokens, Random random)
    {
        var config = engine.Model.Config;
        var started = Stopwatch.GetTimestamp();
        var streams = Enumerable.Range(0, concurrency).Select(async stream =>
        {
            var timings = new List<StreamTiming>();
            for (var r = 0; r < perStream; r++)
            {
                IReadOnlyList<int> prompt;
                lock (random)
                {
                    prompt = Prompt(random, promptTokens, config);
                }
                timings.Add(await EngineClient.StreamAsync(engine, prompt, maxTokens, $"c{concurrency}-s{stream}-r{r}"));
            }
            return timings;
        }).ToArray();
        var all = (await Task.WhenAll(streams)).SelectMany(t => t).ToList();
        return (all, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>BOS then random ordinary tokens: no two prompts share a prefix beyond BOS, so nothing is served from cache.</summary>
    public static int[] Prompt(Random random, int length, GqaService.Inference.Model.ModelConfig config)
    {
        var prompt = new int[length];
        prompt[0] = config.BosTokenId;
        for (var i = 1; i < length; i++)
        {
            prompt[i] = random.Next(3, config.VocabSize);
        }
        return prompt;
    }
}
