using System.Diagnostics;
using GqaService.Inference.Engine;
using GqaService.Inference.Kernels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Native;
using GqaService.Inference.Precision;
using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Benchmarks;

/// <summary>
/// Times bare decoder steps (no engine, no scheduling): the floor under every figure the engine can reach.
/// --native-kernels on|off (default on): the project's own kernels, as the engine's Inference:NativeKernels;
/// --kernel-threads N (default: the libtorch threads) and --spin-us N (idle workers' spin before they sleep) tune them;
/// --fused-layers on|off (default on): with the kernels, small steps run each layer as one native call.
/// </summary>
internal static class StepBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        OpenMpEnvironment.PreferPassiveWaiting();
        TorchNativeCompatibility.EnsureLoadable();
        var threads = arguments.Int("--threads", 0);
        var torchThreads = threads > 0 ? threads : Environment.ProcessorCount;
        torch.set_num_threads(torchThreads);
        var kernels = (arguments.Text("--native-kernels") ?? "on") switch
        {
            "on" => LoadKernels(arguments.Int("--kernel-threads", torchThreads), arguments.Int("--spin-us", NativeKernels.DefaultSpinMicroseconds)),
            "off" => null,
            var other => throw new ArgumentException($"--native-kernels takes on or off, not '{other}'."),
        };
        Console.WriteLine($"libtorch threads {torchThreads}; native kernels {(kernels is null ? "off" : $"on, {kernels.Threads} threads")}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        using var mode = inference_mode();
        var requested = WeightDtypeChooser.Parse(arguments.Text("--weight-dtype") ?? "f32");
        using var loaded = ModelLoader.Load(arguments.Text("--model"), linearDtype: config =>
        {
            var choice = WeightDtypeChooser.Choose(requested, config, CpuFeatures.Host, c => Bf16MatmulProbe.Measure(c, kernels));
            Console.WriteLine($"weights in {choice.Name}: {choice.Reason} {string.Join("; ", choice.Timings.Select(t => $"{t.Rows} rows f32 {t.F32Milliseconds:F3} ms bf16 {t.Bf16Milliseconds:F3} ms"))}");
            return choice.Dtype;
        });
        Console.WriteLine($"weights {loaded.Weights.ComputePrecision}, {loaded.Weights.Bytes:N0} bytes");
        var fuseLayers = (arguments.Text("--fused-layers") ?? "on") switch
        {
            "on" => true,
            "off" => false,
            var other => throw new ArgumentException($"--fused-layers takes on or off, not '{other}'."),
        };
        var decoder = new TransformerDecoder(loaded.Weights, kernels, fuseLayers);
        Console.WriteLine($"fused layers {(decoder.FusesLayers ? "on" : "off")}");
        var context = arguments.Int("--context", 64);
        var iterations = arguments.Int("--iterations", 500);
        var kvDtype = KvLayout.ParseDtype(arguments.Text("--kv-dtype") ?? "f32");
        foreach (var batch in arguments.Ints("--batch", [1, 16, 64]))
        {
            // The pool the server reserves by default (KvBudget), or more if the batch needs it: its size decides whether
            // it lies on huge pages (HugePages.Advise), which decode attention at long contexts depends on.
            var layout = new KvLayout(decoder.Config, kvDtype, 16);
            var usedBlocks = batch * (context / 16 + 1);
            using var pool = new KvPool(layout, Math.Max(usedBlocks, KvBudget.Blocks(layout, new EngineOptions(), decoder.Config.MaxContext)));
            // Written K/V, as a real context has: slots left as the OS's untouched zero pages all map to one physical page,
            // which stays in cache and makes reading a long context look nearly free.
            for (var layer = 0; layer < decoder.Config.NumLayers; layer++)
            {
                using var fill = NewDisposeScope();
                foreach (var slots in new[] { pool.Keys(layer), pool.Values(layer) })
                {
                    var used = slots.narrow(0, 0, (long)usedBlocks * layout.BlockSize);
                    used.copy_(randn(used.shape));
                }
            }
            var inputs = Enumerable.Range(0, batch)
                .Select(b => ((IReadOnlyList<int>)new[] { 5 }, Enumerable.Range(b * (context / 16 + 1) * 16, context).ToArray())).ToList();
            var forward = ForwardBatch.Create(inputs);
            for (var i = 0; i < 20; i++) Step(decoder, forward, pool);
            // CPU time beside wall time: on a shared, oversubscribed machine it is the steadier figure (it counts worker spin too).
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            // Each step timed alone as well: on a shared machine the fastest and the median step say more than the mean.
            var steps = new double[iterations];
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < iterations; i++)
            {
                var stepStarted = Stopwatch.GetTimestamp();
                Step(decoder, forward, pool);
                steps[i] = Stopwatch.GetElapsedTime(stepStarted).TotalMilliseconds;
            }
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds / iterations;
            var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / iterations;
            Array.Sort(steps);
            Console.WriteLine($"batch {batch,3} context {context} KV {pool.Layout.DtypeName}: {ms:F3} ms/step, {batch / ms * 1000:F0} tok/s, cpu {cpuMs:F1} ms/step"
                + $" (fastest step {steps[0]:F3} ms, median {steps[iterations / 2]:F3} ms, 95th percentile {steps[iterations * 95 / 100]:F3} ms)");
        }
        // Prefill steps: one sequence's prompt of N tokens in one step over an empty context, logits for its last token only.
        foreach (var tokens in arguments.Ints("--prefill", []))
        {
            using var pool = new KvPool(new KvLayout(decoder.Config, kvDtype, 16), tokens / 16 + 1);
            var forward = ForwardBatch.Create([(Enumerable.Range(0, tokens).Select(i => 5 + i % 400).ToArray(), Enumerable.Range(0, tokens).ToArray())]);
            Step(decoder, forward, pool);
            var rounds = Math.Max(3, iterations / 10);
            var steps = new double[rounds];
            for (var i = 0; i < rounds; i++)
            {
                var stepStarted = Stopwatch.GetTimestamp();
                Step(decoder, forward, pool);
                steps[i] = Stopwatch.GetElapsedTime(stepStarted).TotalMilliseconds;
            }
            Array.Sort(steps);
            Console.WriteLine($"prefill {tokens} tokens KV {pool.Layout.DtypeName}: fastest {steps[0]:F1} ms, median {steps[rounds / 2]:F1} ms"
                + $" ({tokens / steps[rounds / 2] * 1000:F0} tok/s)");
        }
        return Task.FromResult(0);
    }

    private static NativeKernels LoadKernels(int threads, int spinMicroseconds)
    {
        var kernels = NativeKernels.TryLoad(threads, spinMicroseconds, out var reason)
            ?? throw new InvalidOperationException($"--native-kernels on, but {reason}");
        Console.WriteLine($"native kernels: {reason}; spin {spinMicroseconds} us");
        return kernels;
    }

    private static void Step(TransformerDecoder decoder, ForwardBatch batch, KvPool pool)
    {
        using var scope = NewDisposeScope();
        var logits = decoder.Forward(DecoderInput.From(batch), pool);
        _ = logits.data<float>().ToArray();
    }
}
