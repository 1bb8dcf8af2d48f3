namespace GqaService.Inference.Kernels;

/// <summary>How the native linear kernel computes (gqa_linear_path in Kernels/Native/gqa_kernels.h).</summary>
public enum NativeLinearPath
{
    /// <summary>Scalar C, for hosts without AVX-512: correct but slower than libtorch, so the decoder does not use it.</summary>
    Portable = 0,
    /// <summary>float32 activations; weights widened to float32 as they are read (bf16 by a shift, f16 by vcvtph2ps), FMA.</summary>
    Avx512Fma = 1,
    /// <summary>bf16 weights: activations narrowed to bf16 once per call (as libtorch's bf16 F.linear does), vdpbf16ps.</summary>
    Avx512Bf16Dot = 2,
}
