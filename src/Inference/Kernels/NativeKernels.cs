using System.Runtime.CompilerServices;
using GqaService.Inference.Model;
using static TorchSharp.torch;

namespace GqaService.Inference.Kernels;

/// <summary>
/// The project's own CPU kernels (libgqakernels.so, built from Kernels/Native by scripts/build-kernels.sh), for the
/// operations where libtorch's general kernels are slow for decoding. Every method checks what the C side trusts
/// (dtype, shape, contiguity) and reports <c>false</c> when the library cannot serve the case, so the caller falls back
/// to libtorch. One instance per process owns the library's thread setting; call on the engine thread.
/// </summary>
public sealed class NativeKernels
{
    private NativeKernels(NativeCpuFeatures features, int threads)
    {
        Features = features;
        Threads = threads;
    }

    /// <summary>
    /// Idle workers spin this long after a kernel before they sleep: a step's kernels follow each other closely, but a
    /// spinning worker also holds a core that libtorch's own threads want for the operations in between. Measured with
    /// the step verb (random100M, bf16, context 16, 2 threads, alternated, 2026-12-02, load average 3-9): 50 µs gave the
    /// fastest single-stream steps (9.4-13.6 ms; 0 µs 13.3-16.5, 200 µs 16.5-18.1, 1000 µs 20.4-21.1); at 16 streams the
    /// four settings were within the noise.
    /// </summary>
    public const int DefaultSpinMicroseconds = 50;

    /// <summary>
    /// Below this model dim the decoder leaves the linear kernel out of steps it runs operation by operation (long prefills):
    /// the matrices are too small for streaming weights to matter, and each call costs more than libtorch's. Measured on
    /// the 2-core AMD EPYC, 2026-12-02, stories260K (dim 64, head_dim 8), before layers were fused: over HTTP 1,647 vs 799
    /// tok/s at one stream and 7,144 vs 4,269 at 16 with the kernels off vs on. Fused layers serve every model: at
    /// stories260K's size the call overhead they remove is the whole step (0.24 vs 1.5 ms per decode step at one stream).
    /// </summary>
    public const int MinimumModelDim = 512;

    public NativeCpuFeatures Features { get; }

    /// <summary>Threads a kernel runs on, the calling thread included.</summary>
    public int Threads { get; }

    /// <summary>
    /// Loads the library and sets its threads, or returns null with the reason (library missing, or built for another
    /// ABI). <paramref name="spinMicroseconds"/>: how long idle workers spin before sleeping.
    /// </summary>
    public static NativeKernels? TryLoad(int threads, int spinMicroseconds, out string reason)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        try
        {
            var abi = NativeKernelInterop.KernelsAbi();
            if (abi != NativeKernelInterop.ExpectedAbi)
            {
                reason = $"lib{NativeKernelInterop.LibraryName}.so has ABI {abi}, this build expects {NativeKernelInterop.ExpectedAbi}; rebuild it";
                return null;
            }
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"lib{NativeKernelInterop.LibraryName}.so could not be loaded ({exception.Message})";
            return null;
        }
        if (NativeKernelInterop.DecoderLayerStructSize(0) != Unsafe.SizeOf<NativeLayerMatrix>()
            || NativeKernelInterop.DecoderLayerStructSize(1) != Unsafe.SizeOf<NativeLayer>()
            || NativeKernelInterop.DecoderLayerStructSize(2) != Unsafe.SizeOf<NativeLayerStep>())
        {
            reason = $"lib{NativeKernelInterop.LibraryName}.so lays out its layer structs unlike this build; rebuild it";
            return null;
        }
        NativeKernelInterop.SetThreads(threads);
        NativeKernelInterop.SetSpinMicroseconds(spinMicroseconds);
        var kernels = new NativeKernels((NativeCpuFeatures)NativeKernelInterop.CpuFeatures(), NativeKernelInterop.Threads());
        reason = $"loaded; CPU features {kernels.Features}; {kernels.Threads} threads";
        return kernels;
    }

    /// <summary>
    /// <paramref name="output"/> = (or += with <paramref name="accumulate"/>) <paramref name="input"/> @ <paramref name="weight"/>ᵀ
    /// (+ <paramref name="bias"/>), as <c>F.linear</c>. input [M, K] and output [M, N] float32, weight [N, K] float32, bfloat16
    /// or float16, bias [N] float32 or null; all contiguous. False (output untouched) when this host's library cannot.
    /// </summary>
    public bool TryLinear(Tensor input, Tensor weight, Tensor? bias, Tensor output, bool accumulate) =>
        TryLinear(input, weight, bias, output, accumulate, path: null);

    /// <summary>
    /// The path <see cref="TryLinear(Tensor, Tensor, Tensor?, Tensor, bool)"/> takes for weights of <paramref name="weightDtype"/>
    /// on this host, or null when the kernel cannot read that dtype.
    /// </summary>
    public NativeLinearPath? LinearPath(ScalarType weightDtype)
    {
        var path = NativeKernelInterop.LinearBestPath((int)weightDtype);
        return path < 0 ? null : (NativeLinearPath)path;
    }

    /// <summary>As <see cref="TryLinear(Tensor, Tensor, Tensor?, Tensor, bool)"/> on a given path (null: the best), so tests can compare every path the host has.</summary>
    internal unsafe bool TryLinear(Tensor input, Tensor weight, Tensor? bias, Tensor output, bool accumulate, NativeLinearPath? path)
    {
        if (input.dtype != ScalarType.Float32 || output.dtype != ScalarType.Float32 || input.dim() != 2 || weight.dim() != 2
            || output.dim() != 2 || !input.is_contiguous() || !weight.is_contiguous() || !output.is_contiguous())
        {
            return false;
        }
        long m = input.shape[0], k = input.shape[1], n = weight.shape[0];
        if (weight.shape[1] != k || output.shape[0] != m || output.shape[1] != n)
        {
            throw new ArgumentException($"linear shapes disagree: input [{m}, {k}], weight [{n}, {weight.shape[1]}], output [{output.shape[0]}, {output.shape[1]}].");
        }
        if (bias is not null && (bias.dtype != ScalarType.Float32 || bias.numel() != n || !bias.is_contiguous()))
        {
            return false;
        }
        var biasAddress = bias is null ? null : (float*)TensorMemory.Address(bias);
        var x = (float*)TensorMemory.Address(input);
        var w = TensorMemory.Address(weight);
        var y = (float*)TensorMemory.Address(output);
        var status = path is { } chosen
            ? NativeKernelInterop.LinearOnPath((int)chosen, x, m, k, w, (int)weight.dtype, n, biasAddress, y, accumulate ? 1 : 0)
            : NativeKernelInterop.Linear(x, m, k, w, (int)weight.dtype, n, biasAddress, y, accumulate ? 1 : 0);
        KeepAlive(input, weight, bias, output);
        return status == 0;
    }

    /// <summary>The widest query group (group size * head_dim) the decode-attention kernel's stack buffers hold.</summary>
    public const int MaxDecodeAttentionGroupWidth = 8192;

    /// <summary>Whether <see cref="TryDecodeAttention"/> serves K/V of <paramref name="kvDtype"/> for this head layout.</summary>
    public bool SupportsDecodeAttention(ScalarType kvDtype, int heads, int kvHeads, int headDim) =>
        kvDtype is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16
        && kvHeads > 0 && headDim > 0 && heads % kvHeads == 0 && (long)(heads / kvHeads) * headDim <= MaxDecodeAttentionGroupWidth;

    /// <summary>
    /// Attention of one new token per sequence over its context, read in place from a KV pool layer (no gathered copy).
    /// Sequence i's query is row <paramref name="rows"/>[i] of <paramref name="q"/> ([N, H, Dh] float32; each row's H*Dh
    /// elements dense, rows may be strided, as a narrow of the fused Q/K projection is); its context is the pool slots
    /// <paramref name="slots"/>[<paramref name="slotOffsets"/>[i] .. + <paramref name="lengths"/>[i]). keys and values:
    /// [slots, Hkv, Dh] float32, bfloat16 or float16, contiguous; query head h reads K/V head h / (H / Hkv). Writes
    /// softmax(q·k / sqrt(Dh))·v to row <paramref name="rows"/>[i] of <paramref name="output"/> ([N, H*Dh] float32,
    /// contiguous); other rows are untouched. False (nothing written) when this library cannot serve the case.
    /// <paramref name="portableOnly"/> skips the vector paths (tests compare both).
    /// </summary>
    public unsafe bool TryDecodeAttention(Tensor q, Tensor keys, Tensor values, ReadOnlySpan<int> rows, ReadOnlySpan<int> slots,
        ReadOnlySpan<int> slotOffsets, ReadOnlySpan<int> lengths, Tensor output, bool portableOnly = false)
    {
        if (q.dtype != ScalarType.Float32 || output.dtype != ScalarType.Float32 || q.dim() != 3 || keys.dim() != 3 || output.dim() != 2
            || keys.dtype != values.dtype || !keys.is_contiguous() || !values.is_contiguous() || !output.is_contiguous())
        {
            return false;
        }
        long n = q.shape[0], heads = q.shape[1], headDim = q.shape[2], poolSlots = keys.shape[0], kvHeads = keys.shape[1];
        if (q.stride(2) != 1 || q.stride(1) != headDim || !SupportsDecodeAttention(keys.dtype, (int)heads, (int)kvHeads, (int)headDim))
        {
            return false;
        }
        if (keys.shape[2] != headDim || !values.shape.SequenceEqual(keys.shape) || output.shape[0] != n || output.shape[1] != heads * headDim)
        {
            throw new ArgumentException($"decode attention shapes disagree: q [{string.Join(", ", q.shape)}], keys [{string.Join(", ", keys.shape)}], "
                + $"values [{string.Join(", ", values.shape)}], output [{string.Join(", ", output.shape)}].");
        }
        var batch = rows.Length;
        if (slotOffsets.Length != batch || lengths.Length != batch || rows.IndexOfAnyExceptInRange(0, (int)n - 1) >= 0
            || lengths.IndexOfAnyExceptInRange(0, int.MaxValue) >= 0 || slots.IndexOfAnyExceptInRange(0, (int)Math.Min(poolSlots - 1, int.MaxValue)) >= 0)
        {
            throw new ArgumentException("decode attention: rows, slot offsets and lengths need one entry per sequence, rows within q, slots within the pool.");
        }
        for (var i = 0; i < batch; i++)
        {
            if (slotOffsets[i] < 0 || (long)slotOffsets[i] + lengths[i] > slots.Length)
            {
                throw new ArgumentException($"decode attention: sequence {i}'s slots [{slotOffsets[i]}, +{lengths[i]}) run past the {slots.Length} given.");
            }
        }
        if (batch == 0)
        {
            return true;
        }
        fixed (int* rowsAddress = rows, slotsAddress = slots, offsetsAddress = slotOffsets, lengthsAddress = lengths)
        {
            var status = NativeKernelInterop.DecodeAttention((float*)TensorMemory.AddressOfRows(q), q.stride(0), rowsAddress, batch, heads, kvHeads, headDim,
                TensorMemory.Address(keys), TensorMemory.Address(values), (int)keys.dtype, slotsAddress, offsetsAddress, lengthsAddress,
                (float*)TensorMemory.Address(output), heads * headDim, portableOnly ? 1 : 0);
            KeepAlive(q, keys, values, output);
            return status == 0;
        }
    }

    /// <summary>
    /// Tests only: with <paramref name="on"/>, kernels take their portable C paths whatever the host can do (so those paths
    /// are checked on hosts that never need them). Process-wide; call between kernels.
    /// </summary>
    public static void SetPortableOnly(bool on) => NativeKernelInterop.SetPortableOnly(on ? 1 : 0);

    /// <summary>The widest input the Q8_0 kernel takes (GQA_Q8_0_MAX_K).</summary>
    public const long Q8_0MaxInFeatures = 65536;

    /// <summary>
    /// <paramref name="output"/> = (or += with <paramref name="accumulate"/>) <paramref name="input"/> @ Wᵀ (+ <paramref name="bias"/>)
    /// for Q8_0 weights W (<see cref="Q8_0Weight"/>), computed as llama.cpp does: the input is quantised to Q8_0 per 32-block
    /// and each output is Σ_blocks dx·dw·Σ qx·qw. input [M, K] and output [M, N] float32 contiguous, bias [N] float32 or null.
    /// False (output untouched) when the library cannot (K beyond <see cref="Q8_0MaxInFeatures"/>, or dtypes/layout it does not read).
    /// </summary>
    public unsafe bool TryLinearQ8_0(Tensor input, Q8_0Weight weight, Tensor? bias, Tensor output, bool accumulate)
    {
        if (input.dtype != ScalarType.Float32 || output.dtype != ScalarType.Float32 || input.dim() != 2 || output.dim() != 2
            || !input.is_contiguous() || !output.is_contiguous() || weight.InFeatures > Q8_0MaxInFeatures)
        {
            return false;
        }
        long m = input.size(0), k = input.size(1), n = weight.OutFeatures;
        if (weight.InFeatures != k || output.size(0) != m || output.size(1) != n)
        {
            throw new ArgumentException($"q8_0 linear shapes disagree: input [{m}, {k}], weight [{n}, {weight.InFeatures}], output [{output.size(0)}, {output.size(1)}].");
        }
        if (bias is not null && (bias.dtype != ScalarType.Float32 || bias.numel() != n || !bias.is_contiguous()))
        {
            return false;
        }
        if (m == 0)
        {
            return true;
        }
        var biasAddress = bias is null ? null : (float*)TensorMemory.Address(bias);
        var status = NativeKernelInterop.LinearQ8_0((float*)TensorMemory.Address(input), m, k, (sbyte*)TensorMemory.Address(weight.Quants),
            (ushort*)TensorMemory.Address(weight.Scales), n, biasAddress, (float*)TensorMemory.Address(output), accumulate ? 1 : 0);
        KeepAlive(input, weight.Quants, weight.Scales, output);
        GC.KeepAlive(bias);
        return status == 0;
    }

    /// <summary>
    /// One whole decoder layer by the fused kernel (gqa_decoder_layer) on the residual stream at <paramref name="x"/>.
    /// The caller (<see cref="FusedDecoderLayers"/>) has checked every address, shape and index the C side trusts, so a
    /// refusal here is a bug, and one after the layer started (scratch that cannot be allocated) leaves x half updated:
    /// both throw.
    /// </summary>
    internal unsafe void DecoderLayer(NativeLayer* layer, NativeLayerStep* step, float* x)
    {
        var status = NativeKernelInterop.DecoderLayer(layer, step, x);
        if (status != 0)
        {
            throw new InvalidOperationException($"the native decoder layer failed with status {status} (-1 dtype, -2 head layout, -3 out of memory).");
        }
    }

    /// <summary>
    /// Holds the tensors whose memory a kernel just used until it returned: a caller's temporary (an argument's
    /// <c>contiguous()</c> copy outside any dispose scope) is otherwise collectable once its address is taken, and its
    /// finalizer would free the memory under the running kernel.
    /// </summary>
    private static void KeepAlive(Tensor first, Tensor second, Tensor? third, Tensor fourth)
    {
        GC.KeepAlive(first);
        GC.KeepAlive(second);
        GC.KeepAlive(third);
        GC.KeepAlive(fourth);
    }
}
