using static TorchSharp.torch;

namespace GqaService.Inference.Kernels;

/// <summary>
/// When the decoder multiplies with the native linear kernel rather than libtorch's <c>F.linear</c>: the one place that
/// rule lives. The kernel streams every weight once for all rows, which wins while a step is bound by reading weights
/// (decoding: a few rows); libtorch's blocked GEMM wins once the rows make it compute-bound (large prefill batches).
/// </summary>
public static class NativeLinearPolicy
{
    /// <summary>
    /// The most rows (tokens of a step) the native kernel takes for weights of <paramref name="weightDtype"/> on
    /// <paramref name="path"/>; 0 when it should not be used at all (no vector path: the portable C is slower than libtorch).
    /// </summary>
    public static int MaxRows(NativeLinearPath? path, ScalarType weightDtype) => path switch
    {
        NativeLinearPath.Avx512Bf16Dot => MaxRowsBf16Dot,
        NativeLinearPath.Avx512Fma when weightDtype == ScalarType.Float32 => MaxRowsF32,
        NativeLinearPath.Avx512Fma => MaxRowsWidened,
        _ => 0,
    };

    // Measured (PLACEHOLDER: filled in below after the crossover runs).
    private const int MaxRowsF32 = 128;
    private const int MaxRowsBf16Dot = 128;
    private const int MaxRowsWidened = 128;
}
