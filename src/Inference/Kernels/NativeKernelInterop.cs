using System.Runtime.InteropServices;

namespace GqaService.Inference.Kernels;

/// <summary>
/// The C entry points of libgqakernels.so (Kernels/Native/gqa_kernels.h), one to one. Only <see cref="NativeKernels"/>
/// calls these: it checks shapes, dtypes and contiguity first, which the C side trusts.
/// </summary>
internal static unsafe partial class NativeKernelInterop
{
    public const string LibraryName = "gqakernels";

    /// <summary>The ABI this assembly was written against (GQA_KERNELS_ABI); a library reporting another is not used.</summary>
    public const int ExpectedAbi = 5;

    [LibraryImport(LibraryName, EntryPoint = "gqa_kernels_abi")]
    public static partial int KernelsAbi();

    [LibraryImport(LibraryName, EntryPoint = "gqa_cpu_features")]
    public static partial int CpuFeatures();

    [LibraryImport(LibraryName, EntryPoint = "gqa_set_threads")]
    public static partial void SetThreads(int threads);

    [LibraryImport(LibraryName, EntryPoint = "gqa_threads")]
    public static partial int Threads();

    [LibraryImport(LibraryName, EntryPoint = "gqa_set_spin_microseconds")]
    public static partial void SetSpinMicroseconds(int microseconds);

    [LibraryImport(LibraryName, EntryPoint = "gqa_linear")]
    public static partial int Linear(float* x, long m, long k, void* w, int wDtype, long n, float* bias, float* y, int accumulate);

    [LibraryImport(LibraryName, EntryPoint = "gqa_decode_attention")]
    public static partial int DecodeAttention(float* q, long qRowStride, int* rows, long batch, long heads, long kvHeads, long headDim,
        void* keys, void* values, int kvDtype, int* slots, int* slotOffsets, int* lengths, float* output, long outputRowStride, int portableOnly);

    [LibraryImport(LibraryName, EntryPoint = "gqa_linear_best_path")]
    public static partial int LinearBestPath(int wDtype);

    [LibraryImport(LibraryName, EntryPoint = "gqa_linear_on_path")]
    public static partial int LinearOnPath(int path, float* x, long m, long k, void* w, int wDtype, long n, float* bias, float* y, int accumulate);

    [LibraryImport(LibraryName, EntryPoint = "gqa_set_portable_only")]
    public static partial void SetPortableOnly(int on);

    [LibraryImport(LibraryName, EntryPoint = "gqa_linear_q8_0")]
    public static partial int LinearQ8_0(float* x, long m, long k, sbyte* wQ, ushort* wScales, long n, float* bias, float* y, int accumulate);

    [LibraryImport(LibraryName, EntryPoint = "gqa_decoder_layer")]
    public static partial int DecoderLayer(NativeLayer* layer, NativeLayerStep* step, float* x);

    [LibraryImport(LibraryName, EntryPoint = "gqa_decoder_layer_struct_size")]
    public static partial long DecoderLayerStructSize(int which);
}
