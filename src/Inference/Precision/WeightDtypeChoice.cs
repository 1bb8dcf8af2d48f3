using static TorchSharp.torch;

namespace GqaService.Inference.Precision;

/// <summary>The element type the linear weights are held in, why, and the measurement behind an automatic choice (empty otherwise).</summary>
public sealed record WeightDtypeChoice(ScalarType Dtype, string Reason, IReadOnlyList<MatmulTiming> Timings)
{
    /// <summary>As /v1/models and the start-up summary name it.</summary>
    public string Name => NameOf(Dtype);

    public static string NameOf(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float32 => "float32",
        var other => other.ToString().ToLowerInvariant(),
    };
}
