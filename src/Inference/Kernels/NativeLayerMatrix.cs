using System.Runtime.InteropServices;

namespace GqaService.Inference.Kernels;

/// <summary>gqa_layer_matrix (gqa_kernels.h): one projection of a layer as the fused layer kernel reads it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeLayerMatrix
{
    /// <summary>GQA_Q8_0: not a libtorch ScalarType; the C side's tag for int8 quants with float16 block scales.</summary>
    public const int Q8_0Dtype = 100;

    public nint Data;
    /// <summary>Q8_0 only: the float16 block scales; else zero.</summary>
    public nint Q8_0Scales;
    public int Dtype;
    public int Reserved;
}
