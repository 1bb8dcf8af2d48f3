using static TorchSharp.torch;

namespace GqaService.Inference.Precision;

/// <summary>
/// The element type the linear weights are held in, why, and the measurement behind an automatic choice (empty otherwise).
/// <see cref="Q8_0Dtype"/> (int8) stands for Q8_0: int8 blocks with float16 scales where a matrix's rows allow it, float32 elsewhere.
/// </summary>
public sealed record WeightDtypeChoice(ScalarType Dtype, string Reason, IReadOnlyList<MatmulTiming> Timings)
{
    /// <summary>The dtype a loader is asked for to get Q8_0 matrices (the quants' element type).</summary>
    public const ScalarType Q8_0Dtype = ScalarType.Int8;

    public const string Q8_0Name = "q8_0";

    /// <summary>As /v1/models and the start-up summary name it.</summary>
    public string Name => NameOf(Dtype);

    public static string NameOf(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float32 => "float32",
        Q8_0Dtype => Q8_0Name,
        var other => other.ToString().ToLowerInvariant(),
    };
}
