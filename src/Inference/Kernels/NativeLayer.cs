using System.Runtime.InteropServices;

namespace GqaService.Inference.Kernels;

/// <summary>gqa_layer (gqa_kernels.h): a decoder layer's shape, weights and KV pool layer for the fused layer kernel.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeLayer
{
    public long Dim;
    public long Heads;
    public long KvHeads;
    public long HeadDim;
    public long HiddenDim;
    public float NormEps;
    /// <summary>1: adjacent pairs rotate (llama2.c, GGUF); 0: the first half with the second (Hugging Face).</summary>
    public int RopeInterleaved;
    public nint AttentionNorm;
    public nint FeedForwardNorm;
    public NativeLayerMatrix Qkv;
    public NativeLayerMatrix Output;
    public NativeLayerMatrix GateUp;
    public NativeLayerMatrix Down;
    /// <summary>float32 q/k/v bias, or zero.</summary>
    public nint QkvBias;
    public nint Keys;
    public nint Values;
    public int KvDtype;
    public int Reserved;
}
