using System.Diagnostics;
using GqaService.Inference.Engine;
using GqaService.Inference.Engine.Events;
using GqaService.Inference.KvCache;
using GqaService.Inference.Scheduling;

namespace GqaService.Benchmarks;

/// <summary>
/// What the observatory costs per engine step: (1) the real engine under N streams with step spans recorded, giving the
/// mean step time; (2) one step span (start, tags, links, stop) with a recording listener, in a tight loop; (3) the event
/// recorder's per-step comparison over a pool of the same size, with the same number of live sequences.
/// </summary>
internal static class ObservatoryBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        var streams = arguments.Int("--streams", 16);
        var maxTokens = arguments.Int("--max-tokens", 128);
        var iterations = arguments.Int("--iterations", 20_000);
        var steps = new List<double>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == StepTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (steps) steps.Add(activity.Duration.TotalMilliseconds); },
        };
        ActivitySource.AddActivityListener(listener);

        var options = new EngineOptions { ModelPath = arguments.Text("--model") ?? "", KvCacheMiB = arguments.Int("--kv-mib", 64) };
        int totalBlocks;
        using (var engine = await EngineClient.StartAsync(options))
        {
            totalBlocks = engine.GetMemorySnapshot().BlocksTotal;
            await Task.WhenAll(Enumerable.Range(0, streams).Select(i => Task.Run(() => EngineClient.StreamAsync(engine, [1, 5 + i], maxTokens, $"b{i}"))));
            await engine.StopAsync();
        }
        double[] busy;
        lock (steps)
        {
            // Idle steps (nothing scheduled) take microseconds; only steps that ran the model count.
            busy = [.. steps.Where(ms => ms > 0.05)];
        }
        var stepMs = busy.Average();
        Console.WriteLine($"engine: {streams} streams x {maxTokens} tokens, {busy.Length} steps, mean step {stepMs:F3} ms");

        var tracing = new StepTracing(new BlockAllocator(totalBlocks));
        var batch = new ScheduledBatch([.. Enumerable.Range(0, streams).Select(i =>
            new ScheduledWork(new Sequence(new GenerationRequest { RequestId = $"s{i}", PromptTokenIds = [1, 2], MaxTokens = 8 }, i, DateTimeOffset.UtcNow), 1))], [], [], []);
        var spanMs = Time(iterations, () =>
        {
            using var span = tracing.Start();
            span!.Describe(batch);
            span.Complete(streams);
            foreach (var (sequence, _) in batch.Work)
            {
                sequence.StepSpans!.Clear();
            }
        });
        Console.WriteLine($"step span: {spanMs * 1000:F2} us = {100 * spanMs / stepMs:F2}% of a step");

        var observeMs = RecorderCost(totalBlocks, streams, maxTokens, iterations);
        Console.WriteLine($"event recorder: {observeMs * 1000:F2} us per step over {totalBlocks} blocks, {streams} sessions = {100 * observeMs / stepMs:F2}% of a step");
        return 0;
    }

    private static double RecorderCost(int totalBlocks, int sessions, int maxTokens, int iterations)
    {
        var time = TimeProvider.System;
        var allocator = new BlockAllocator(totalBlocks);
        var store = new SessionStore(allocator, new PrefixBlockIndex(), 16, time);
        var scheduler = new Scheduler(new SchedulerLimits(64, 512, 256, 16), allocator, store, time);
        using var hub = new EngineEvents(time);
        var recorder = new EngineEventRecorder(hub, scheduler, store, 16 * 2048, time);
        var live = Enumerable.Range(0, sessions).Select(i => store.GetOrCreate(new("", $"s{i}"))).ToList();
        var copies = new List<BlockCopy>();
        foreach (var session in live)
        {
            store.TryReserveEvictingIdle(session.Sequence, 100, copies, out _);
            session.Sequence.Append([.. Enumerable.Range(0, 100).Select(t => t + 1000 * live.IndexOf(session))]);
        }
        // One queued request keeps the engine "busy", so the block map is rebuilt on the running schedule (every 250 ms).
        scheduler.Enqueue(new Sequence(new GenerationRequest { RequestId = "queued", PromptTokenIds = [1], MaxTokens = 1 }, 0, time.GetUtcNow()));
        recorder.Observe();
        var step = 0;
        // Each step one session grows by a token (decode), so its blocks fill as in real decoding; the growth alone is
        // timed too and subtracted.
        var growth = Time(iterations, () => Grow(live[step++ % sessions].Sequence));
        var withRecorder = Time(iterations, () =>
        {
            Grow(live[step++ % sessions].Sequence);
            recorder.Observe();
        });
        return withRecorder - growth;

        void Grow(KvSequence sequence)
        {
            // A sequence that reached its max_tokens starts over, so the pool holds what the engine run held.
            if (sequence.Length >= 100 + maxTokens)
            {
                sequence.TruncateTo(100);
            }
            store.TryReserveEvictingIdle(sequence, 1, copies, out _);
            sequence.Append([7]);
        }
    }

    private static double Time(int iterations, Action action)
    {
        for (var i = 0; i < iterations / 10; i++) action();
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < iterations; i++) action();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds / iterations;
    }
}
