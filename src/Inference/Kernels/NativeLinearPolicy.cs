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

    // Measured with `GqaService.Benchmarks linear` (every matmul of a random100M step, dim 768, hidden 2048, 12 layers and
    // the 32000-row classifier; native and libtorch interleaved call by call, best of 3-5 rounds, 2 threads each) on the
    // 2-core AMD EPYC Zen 5 (AVX-512, AVX512_BF16), 2026-12-02, on a machine shared with other benchmarks (load average
    // 15-30, so single figures wander by 2x; the ratios below come from three runs). native/libtorch time:
    //   rows:    1     4     16    32    64         128        256             512        1024
    //   f32:   0.50  0.61  0.40  0.76  0.37-0.52  0.56-0.62  0.48-0.70       0.63-0.65  0.69
    //   bf16:  0.19  0.22  0.54  0.49  0.51-1.00  0.56-1.10  0.76-1.22       0.80-0.98  0.65
    //   f16:   (2.3, one noisy run)    0.27        0.13       0.17
    // f32: libtorch's f32 GEMM on this AMD host is slow at every size, and the kernel (x taken 64, now 128, rows at a time, so they
    // stay in L2) won every run up to 1024 rows. bf16: libtorch's bf16 GEMM (vdpbf16ps too) draws level from 64 rows
    // on, where both are compute-bound; 64 keeps every decode batch on the kernel and hands large prefills to libtorch.
    // Widened 16-bit weights (f16 here; bf16 on hosts without AVX512_BF16, where libtorch's bf16 is slower still):
    // libtorch's f16 GEMM is 4-8x slower from 16 rows on.
    private const int MaxRowsF32 = 1024;
    private const int MaxRowsBf16Dot = 64;
    private const int MaxRowsWidened = 1024;
}
