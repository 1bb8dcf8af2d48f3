using System.Diagnostics;
using GqaService.Inference.Kernels;
using GqaService.Inference.Native;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GqaService.Benchmarks;

/// <summary>
/// The matmuls of one decoder step (every layer's q/k/v, output, gate/up and down projections, then the classifier) on
/// the native linear kernel and on libtorch's F.linear as the decoder calls it (16-bit weights: activations narrowed,
/// result widened), at several row counts. The two are interleaved call by call in one process, so a busy machine
/// slows both alike and the ratio stays meaningful: the crossover behind <see cref="NativeLinearPolicy"/>.
/// Each layer has its own weights, so the step streams them from memory as the decoder does.
/// </summary>
internal static class LinearBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        OpenMpEnvironment.PreferPassiveWaiting();
        TorchNativeCompatibility.EnsureLoadable();
        var threads = arguments.Int("--threads", Environment.ProcessorCount);
        torch.set_num_threads(threads);
        var kernels = NativeKernels.TryLoad(arguments.Int("--kernel-threads", threads), arguments.Int("--spin-us", NativeKernels.DefaultSpinMicroseconds), out var reason)
            ?? throw new InvalidOperationException(reason);
        int dim = arguments.Int("--dim", 768), hidden = arguments.Int("--hidden", 2048), layers = arguments.Int("--layers", 12);
        int kvWidth = arguments.Int("--kv-width", 256), vocab = arguments.Int("--vocab", 32000), rounds = arguments.Int("--rounds", 5);
        var dtype = (arguments.Text("--weight-dtype") ?? "bf16") switch
        {
            "f32" => ScalarType.Float32,
            "bf16" => ScalarType.BFloat16,
            "f16" => ScalarType.Float16,
            var other => throw new ArgumentException($"--weight-dtype f32|bf16|f16, not '{other}'."),
        };
        Console.WriteLine($"{dtype} weights, dim {dim}, hidden {hidden}, {layers} layers; libtorch threads {threads}; {reason}; path {kernels.LinearPath(dtype)}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var shapes = new List<(long Out, long In)>();
        for (var layer = 0; layer < layers; layer++)
        {
            shapes.AddRange([(dim + 2L * kvWidth, dim), (dim, dim), (2L * hidden, dim), (dim, hidden)]);
        }
        shapes.Add((vocab, dim));
        var weights = shapes.Select(s => randn(s.Out, s.In).to_type(dtype)).ToArray();
        foreach (var rows in arguments.Ints("--rows", [1, 4, 16, 32, 64, 128]))
        {
            var inputs = shapes.Select(s => randn(rows, s.In)).ToArray();
            var outputs = shapes.Select(s => empty(rows, s.Out)).ToArray();
            double native = double.MaxValue, libtorch = double.MaxValue;
            for (var round = 0; round <= rounds; round++)
            {
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < shapes.Count; i++)
                {
                    if (!kernels.TryLinear(inputs[i], weights[i], null, outputs[i], accumulate: false))
                    {
                        throw new InvalidOperationException("the native kernel refused a case");
                    }
                }
                var nativeMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                started = Stopwatch.GetTimestamp();
                for (var i = 0; i < shapes.Count; i++)
                {
                    using var call = NewDisposeScope();
                    _ = dtype == ScalarType.Float32 ? F.linear(inputs[i], weights[i]) : F.linear(inputs[i].to_type(dtype), weights[i]).to_type(ScalarType.Float32);
                }
                var libtorchMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (round > 0) // round 0 warms up
                {
                    native = Math.Min(native, nativeMs);
                    libtorch = Math.Min(libtorch, libtorchMs);
                }
            }
            Console.WriteLine($"rows {rows,4}: native {native,8:F2} ms, libtorch {libtorch,8:F2} ms per step of matmuls (best of {rounds}); native/libtorch {native / libtorch:F2}");
        }
        return Task.FromResult(0);
    }
}
