using System.Diagnostics;
using GqaService.Inference.Kernels;
using GqaService.Inference.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GqaService.Inference.Precision;

/// <summary>
/// Times the model's largest matmul (the fused SwiGLU gate/up projection, <c>[2 x hidden, dim]</c>) in f32 and in bf16, as the
/// decoder runs it, at one row (a single stream) and at 16 (a batch of decodes): with the native kernels, on the kernel
/// wherever <see cref="NativeLinearPolicy"/> sends that many rows; otherwise libtorch's F.linear (bf16 includes narrowing the
/// activations and widening the result). Random data, a few milliseconds in all; call it on the engine thread after the
/// intra-op threads (and the kernels' threads) are set.
/// </summary>
public static class Bf16MatmulProbe
{
    public static IReadOnlyList<int> RowCounts { get; } = [1, 16];
    private const int Rounds = 5;
    private const int CallsPerRound = 8;

    public static IReadOnlyList<MatmulTiming> Measure(ModelConfig config) => Measure(config, kernels: null);

    /// <param name="kernels">The kernels the decoder will run with, or null when it runs libtorch only.</param>
    public static IReadOnlyList<MatmulTiming> Measure(ModelConfig config, NativeKernels? kernels)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var generator = new TorchSharp.torch.Generator(20260611);
        var weightF32 = randn([2L * config.HiddenDim, config.Dim], generator: generator);
        var weightBf16 = weightF32.to_type(ScalarType.BFloat16);
        var timings = new List<MatmulTiming>(RowCounts.Count);
        foreach (var rows in RowCounts)
        {
            var x = randn([rows, config.Dim], generator: generator);
            var output = empty([rows, weightF32.size(0)], ScalarType.Float32);
            var f32 = UsesNative(kernels, ScalarType.Float32, rows)
                ? Best(() => NativeLinear(kernels!, x, weightF32, output))
                : Best(() => F.linear(x, weightF32));
            var bf16 = UsesNative(kernels, ScalarType.BFloat16, rows)
                ? Best(() => NativeLinear(kernels!, x, weightBf16, output))
                : Best(() => F.linear(x.to_type(ScalarType.BFloat16), weightBf16).to_type(ScalarType.Float32));
            timings.Add(new MatmulTiming(rows, f32, bf16));
        }
        return timings;
    }

    /// <summary>Whether the decoder multiplies <paramref name="rows"/> rows by <paramref name="weightDtype"/> weights on the native kernel.</summary>
    private static bool UsesNative(NativeKernels? kernels, ScalarType weightDtype, int rows) =>
        kernels is not null && rows <= NativeLinearPolicy.MaxRows(kernels.LinearPath(weightDtype), weightDtype);

    private static Tensor NativeLinear(NativeKernels kernels, Tensor x, Tensor weight, Tensor output)
    {
        if (!kernels.TryLinear(x, weight, null, output, accumulate: false))
        {
            throw new InvalidOperationException($"the native linear kernel refused {weight.dtype} weights it reports a path for.");
        }
        return output;
    }

    /// <summary>The fastest round's mean milliseconds per call, after a warm-up round: the minimum is the figure least disturbed by other load.</summary>
    private static double Best(Func<Tensor> call)
    {
        var best = double.MaxValue;
        for (var round = 0; round <= Rounds; round++)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < CallsPerRound; i++)
            {
                using var callScope = NewDisposeScope();
                _ = call();
            }
            var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds / CallsPerRound;
            if (round > 0)
            {
                best = Math.Min(best, milliseconds);
            }
        }
        return best;
    }
}
