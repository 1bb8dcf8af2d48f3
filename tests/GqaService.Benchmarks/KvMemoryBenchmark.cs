using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;

namespace GqaService.Benchmarks;

/// <summary>
/// Prints KV bytes per token, what a fixed budget holds under GQA and under MHA, and the internal fragmentation the
/// paged cache shows while a mixed workload (random prompt and output lengths) runs.
/// </summary>
internal static class KvMemoryBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        var budgetMiB = arguments.Int("--budget-mib", 64);
        var requests = arguments.Int("--requests", 64);
        var options = new EngineOptions
        {
            ModelPath = arguments.Text("--model"), KvCacheMiB = budgetMiB, MaxSequencesPerStep = 32, RequestTimeoutSeconds = 0,
            KvDtype = arguments.Text("--kv-dtype") ?? "f32",
        };
        using var engine = await EngineClient.StartAsync(options);
        var config = engine.Model.Config;
        var layout = KvLayout.For(config, options);
        var gqaBytes = layout.BytesPerToken;
        var mhaBytes = layout.MhaBytesPerToken;
        var budget = budgetMiB * 1024L * 1024L;
        Console.WriteLine($"model: {engine.Model.Id}: {config.NumLayers} layers, {config.NumHeads} query heads, {config.NumKvHeads} KV heads, head_dim {config.HeadDim}, KV in {layout.DtypeName}");
        Console.WriteLine($"KV bytes per token: GQA {gqaBytes} (2 x {config.NumLayers} x {config.NumKvHeads} x {config.HeadDim} x {layout.BytesPerElement}), MHA {mhaBytes}: GQA stores {(double)gqaBytes / mhaBytes:P0} of MHA");
        Console.WriteLine($"budget {budgetMiB} MiB holds {budget / gqaBytes:N0} tokens under GQA vs {budget / mhaBytes:N0} under MHA ({(double)mhaBytes / gqaBytes:F1}x)");
        var snapshot = engine.GetMemorySnapshot();
        Console.WriteLine($"pool as allocated: {snapshot.BlocksTotal} blocks x {snapshot.BlockSize} = {snapshot.BlocksTotal * snapshot.BlockSize:N0} tokens, {snapshot.BytesTotal:N0} bytes");

        var random = new Random(42);
        var samples = new List<MemorySnapshot>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var now = engine.GetMemorySnapshot();
                if (now.BlocksUsed > 0)
                {
                    lock (samples) samples.Add(now);
                }
                await Task.Delay(5);
            }
        });
        var work = Enumerable.Range(0, requests).Select(i =>
        {
            var prompt = new int[random.Next(4, Math.Min(300, engine.Limits.ContextTokens / 2))];
            prompt[0] = config.BosTokenId;
            for (var j = 1; j < prompt.Length; j++) prompt[j] = random.Next(3, config.VocabSize);
            return EngineClient.StreamAsync(engine, prompt, random.Next(1, Math.Min(200, engine.Limits.ContextTokens / 2)), $"kv-{i}");
        }).ToArray();
        await Task.WhenAll(work);
        sampling.Cancel();
        await sampler;
        var fragmentation = samples.Select(s => (double)s.FragmentedSlots / Math.Max(1, s.BlocksUsed * s.BlockSize)).ToList();
        var perSequence = samples.Where(s => s.RunningSequences > 0).Select(s => (double)s.FragmentedSlots / s.RunningSequences).ToList();
        Console.WriteLine($"mixed workload: {requests} requests, {samples.Count} snapshots while busy");
        Console.WriteLine($"internal fragmentation (unused slots in allocated blocks / allocated slots): mean {fragmentation.DefaultIfEmpty().Average():P1}, max {fragmentation.DefaultIfEmpty().Max():P1}");
        Console.WriteLine($"unused slots per running sequence: mean {perSequence.DefaultIfEmpty().Average():F1} (bound: block size - 1 = {snapshot.BlockSize - 1})");
        var after = engine.GetMemorySnapshot();
        Console.WriteLine($"after the run: {after.BlocksUsed} blocks used, {after.BlocksFree} free");
        await engine.StopAsync();
        return 0;
    }
}
