using System.Diagnostics;
using GqaService.Inference.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GqaService.Inference.Precision;

/// <summary>
/// Times the model's largest matmul (the fused SwiGLU gate/up projection, <c>[2 x hidden, dim]</c>) in f32 and in bf16, as the
/// decoder runs it (bf16 includes narrowing the activations and widening the result), at one row (a single stream) and at 16
/// (a batch of decodes). Random data, a few milliseconds in all; call it on the engine thread after the intra-op threads are set.
/// </summary>
public static class Bf16MatmulProbe
{
    public static IReadOnlyList<int> RowCounts { get; } = [1, 16];
    private const int Rounds = 5;
    private const int CallsPerRound = 8;

    public static IReadOnlyList<MatmulTiming> Measure(ModelConfig config)
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
            var f32 = Best(() => F.linear(x, weightF32));
            var bf16 = Best(() => F.linear(x.to_type(ScalarType.BFloat16), weightBf16).to_type(ScalarType.Float32));
            timings.Add(new MatmulTiming(rows, f32, bf16));
        }
        return timings;
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
