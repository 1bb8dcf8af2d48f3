using System.Diagnostics;
using GqaService.Inference.Kernels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Native;
using GqaService.Inference.Precision;
using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Benchmarks;

/// <summary>Times bare decoder steps (no engine, no scheduling): the floor under every figure the engine can reach.</summary>
internal static class StepBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        OpenMpEnvironment.PreferPassiveWaiting();
        TorchNativeCompatibility.EnsureLoadable();
        var threads = arguments.Int("--threads", 0);
        torch.set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);
        using var mode = inference_mode();
        var requested = WeightDtypeChooser.Parse(arguments.Text("--weight-dtype") ?? "f32");
        using var loaded = ModelLoader.Load(arguments.Text("--model"), linearDtype: config =>
        {
            var choice = WeightDtypeChooser.Choose(requested, config, CpuFeatures.Host);
            Console.WriteLine($"weights in {choice.Name}: {choice.Reason} {string.Join("; ", choice.Timings.Select(t => $"{t.Rows} rows f32 {t.F32Milliseconds:F3} ms bf16 {t.Bf16Milliseconds:F3} ms"))}");
            return choice.Dtype;
        });
        // As the engine does: the native kernels where they load (Q8_0 weights need them).
        var kernels = NativeKernels.TryLoad(threads > 0 ? threads : Environment.ProcessorCount, NativeKernels.DefaultSpinMicroseconds, out var kernelReport);
        Console.WriteLine($"native kernels: {kernelReport}; weights {loaded.Weights.ComputePrecision}, {loaded.Weights.Bytes:N0} bytes");
        var decoder = new TransformerDecoder(loaded.Weights, kernels);
        var context = arguments.Int("--context", 64);
        var iterations = arguments.Int("--iterations", 500);
        var kvDtype = KvLayout.ParseDtype(arguments.Text("--kv-dtype") ?? "f32");
        foreach (var batch in arguments.Ints("--batch", [1, 16, 64]))
        {
            using var pool = new KvPool(new KvLayout(decoder.Config, kvDtype, 16), batch * (context / 16 + 1));
            var inputs = Enumerable.Range(0, batch)
                .Select(b => ((IReadOnlyList<int>)new[] { 5 }, Enumerable.Range(b * (context / 16 + 1) * 16, context).ToArray())).ToList();
            var forward = ForwardBatch.Create(inputs);
            for (var i = 0; i < 20; i++) Step(decoder, forward, pool);
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < iterations; i++) Step(decoder, forward, pool);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds / iterations;
            Console.WriteLine($"batch {batch,3} context {context} KV {pool.Layout.DtypeName}: {ms:F3} ms/step, {batch / ms * 1000:F0} tok/s");
        }
        return Task.FromResult(0);
    }

    private static void Step(TransformerDecoder decoder, ForwardBatch batch, KvPool pool)
    {
        using var scope = NewDisposeScope();
        var logits = decoder.Forward(DecoderInput.From(batch), pool);
        _ = logits.data<float>().ToArray();
    }
}
