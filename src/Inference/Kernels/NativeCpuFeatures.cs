namespace GqaService.Inference.Kernels;

/// <summary>What the kernel library found the host can do (gqa_cpu_feature bits).</summary>
[Flags]
public enum NativeCpuFeatures
{
    None = 0,
    Avx2Fma = 1 << 0,
    /// <summary>AVX-512 F with BW and VL.</summary>
    Avx512 = 1 << 1,
    Avx512Bf16 = 1 << 2,
    F16c = 1 << 3,
    AmxBf16 = 1 << 4,
    /// <summary>AVX512_VNNI (vpdpbusd): the Q8_0 kernel's int8 dot products.</summary>
    Avx512Vnni = 1 << 5,
}
