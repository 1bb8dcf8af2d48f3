using GqaService.Inference.Engine;
using GqaService.Inference.Kernels;
using GqaService.Inference.Model;
using GqaService.Inference.Precision;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Precision;

public sealed class WeightDtypeChooserTests
{
    private static readonly ModelConfig Config = new() { Dim = 64, NumLayers = 1, NumHeads = 4, NumKvHeads = 2, HiddenDim = 96, VocabSize = 32, MaxContext = 64 };
    private static readonly CpuFeatures Zen5 = CpuFeatures.Parse(["processor\t: 0", "model name\t: AMD EPYC 9B45", "flags\t\t: fpu sse avx512f avx512_bf16 avx512_vnni"]);
    private static readonly CpuFeatures SapphireRapids = CpuFeatures.Parse(["model name\t: Intel(R) Xeon(R) Platinum 8481C", "flags\t\t: avx512f amx_bf16 amx_tile"]);
    private static readonly CpuFeatures Skylake = CpuFeatures.Parse(["model name\t: Intel(R) Xeon(R) Gold 6148", "flags\t\t: avx2 avx512f avx512bw"]);

    [Fact]
    public void CpuInfo_FirstProcessorsModelAndFlags()
    {
        var cpu = CpuFeatures.Parse(["processor\t: 0", "model name\t: AMD EPYC 9B45", "flags\t\t: fpu avx512_bf16", "", "processor\t: 1", "model name\t: other", "flags\t\t: fpu"]);

        Assert.Equal("AMD EPYC 9B45", cpu.ModelName);
        Assert.True(cpu.HasNativeBf16);
        Assert.True(SapphireRapids.HasNativeBf16);
        Assert.False(Skylake.HasNativeBf16);
        Assert.False(CpuFeatures.Read("/nonexistent/cpuinfo").HasNativeBf16);
    }

    [Theory]
    [InlineData("f32", ScalarType.Float32)]
    [InlineData("BF16", ScalarType.BFloat16)]
    [InlineData("f16", ScalarType.Float16)]
    [InlineData("Q8_0", WeightDtypeChoice.Q8_0Dtype)]
    public void ConfiguredDtype_IsTakenWithoutMeasuring(string option, ScalarType expected)
    {
        var choice = WeightDtypeChooser.Choose(WeightDtypeChooser.Parse(option), Config, Skylake, _ => throw new InvalidOperationException("measured"));

        Assert.Equal(expected, choice.Dtype);
        Assert.Empty(choice.Timings);
    }

    [Fact]
    public void Auto_WithoutNativeBf16_KeepsFloat32AndDoesNotMeasure()
    {
        var choice = WeightDtypeChooser.Choose(WeightDtype.Auto, Config, Skylake, _ => throw new InvalidOperationException("measured"));

        Assert.Equal(ScalarType.Float32, choice.Dtype);
        Assert.Contains("neither avx512_bf16 nor amx_bf16", choice.Reason);
    }

    [Fact]
    public void Auto_TakesBf16OnlyWhenFasterAtEveryRowCount()
    {
        IReadOnlyList<MatmulTiming> Faster(ModelConfig _) => [new(1, 1.0, 0.5), new(16, 3.0, 1.0)];
        IReadOnlyList<MatmulTiming> SlowerAtOneRow(ModelConfig _) => [new(1, 1.0, 0.95), new(16, 3.0, 1.0)];

        Assert.Equal(ScalarType.BFloat16, WeightDtypeChooser.Choose(WeightDtype.Auto, Config, Zen5, Faster).Dtype);
        Assert.Equal(ScalarType.BFloat16, WeightDtypeChooser.Choose(WeightDtype.Auto, Config, SapphireRapids, Faster).Dtype);
        var slower = WeightDtypeChooser.Choose(WeightDtype.Auto, Config, Zen5, SlowerAtOneRow);
        Assert.Equal(ScalarType.Float32, slower.Dtype);
        Assert.Equal(2, slower.Timings.Count);
    }

    [Fact]
    public void Probe_MeasuresBothDtypesAtEachRowCount()
    {
        var timings = Bf16MatmulProbe.Measure(Config);

        Assert.Equal(Bf16MatmulProbe.RowCounts, timings.Select(t => t.Rows));
        Assert.All(timings, t => Assert.True(t.F32Milliseconds > 0 && t.Bf16Milliseconds > 0));
    }

    [Fact]
    public void Probe_WithNativeKernels_TimesTheKernelAtEachRowCount()
    {
        // The rows the probe measures are decode rows, which the decoder sends to the native kernel on this host.
        var kernels = TestKernels.Instance;
        Assert.All(Bf16MatmulProbe.RowCounts, rows => Assert.True(rows <= NativeLinearPolicy.MaxRows(kernels.LinearPath(ScalarType.BFloat16), ScalarType.BFloat16)));

        var timings = Bf16MatmulProbe.Measure(Config, kernels);

        Assert.Equal(Bf16MatmulProbe.RowCounts, timings.Select(t => t.Rows));
        Assert.All(timings, t => Assert.True(t.F32Milliseconds > 0 && t.Bf16Milliseconds > 0));
    }

    [Theory]
    [InlineData("int8")]
    [InlineData("float32")]
    public void UnknownWeightDtype_IsRefusedAtStartNamingTheSetting(string option)
    {
        var result = new EngineOptionsValidator().Validate(null, new EngineOptions { WeightDtype = option });

        Assert.True(result.Failed);
        Assert.Contains($"WeightDtype: '{option}' is not one of auto, f32, bf16, f16, q8_0", result.FailureMessage);
    }
}
