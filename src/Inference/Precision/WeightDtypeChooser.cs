using GqaService.Inference.Model;
using static TorchSharp.torch;

namespace GqaService.Inference.Precision;

/// <summary>
/// Resolves <c>Inference:WeightDtype</c> for a model on this host. <c>auto</c> takes bf16 only when the CPU multiplies bf16
/// natively (<see cref="CpuFeatures.HasNativeBf16"/>) and <see cref="Bf16MatmulProbe"/> finds bf16 at least
/// <see cref="RequiredSpeedup"/> times as fast as f32 at every measured row count; anything else keeps f32, which is exact.
/// </summary>
public static class WeightDtypeChooser
{
    /// <summary>The option spellings of <see cref="WeightDtype"/>, in enum order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "f32", "bf16", "f16", "q8_0"];

    /// <summary>A margin over noise: a shared machine's timings wander by several percent.</summary>
    public const double RequiredSpeedup = 1.1;

    public static bool TryParse(string? text, out WeightDtype dtype)
    {
        for (var i = 0; i < Names.Count; i++)
        {
            if (string.Equals(text, Names[i], StringComparison.OrdinalIgnoreCase))
            {
                dtype = (WeightDtype)i;
                return true;
            }
        }
        dtype = WeightDtype.F32;
        return false;
    }

    public static WeightDtype Parse(string? text) => TryParse(text, out var dtype)
        ? dtype
        : throw new ArgumentException($"weight dtype '{text}' is not one of {string.Join(", ", Names)}.", nameof(text));

    /// <param name="measure">The probe (a parameter so tests can give timings); by default <see cref="Bf16MatmulProbe.Measure"/>.</param>
    public static WeightDtypeChoice Choose(WeightDtype requested, ModelConfig config, CpuFeatures cpu,
        Func<ModelConfig, IReadOnlyList<MatmulTiming>>? measure = null)
    {
        switch (requested)
        {
            case WeightDtype.F32:
                return new WeightDtypeChoice(ScalarType.Float32, "configured", []);
            case WeightDtype.Bf16:
                return new WeightDtypeChoice(ScalarType.BFloat16, "configured", []);
            case WeightDtype.F16:
                return new WeightDtypeChoice(ScalarType.Float16, "configured", []);
            case WeightDtype.Q8_0:
                return new WeightDtypeChoice(WeightDtypeChoice.Q8_0Dtype, "configured", []);
        }
        if (!cpu.HasNativeBf16)
        {
            return new WeightDtypeChoice(ScalarType.Float32, "auto: the CPU reports neither avx512_bf16 nor amx_bf16", []);
        }
        var timings = (measure ?? Bf16MatmulProbe.Measure)(config);
        var faster = timings.Count > 0 && timings.All(t => t.Speedup >= RequiredSpeedup);
        return faster
            ? new WeightDtypeChoice(ScalarType.BFloat16, "auto: native bf16, and the measured bf16 matmul is faster", timings)
            : new WeightDtypeChoice(ScalarType.Float32, $"auto: native bf16, but the measured bf16 matmul is not {RequiredSpeedup}x as fast", timings);
    }
}
