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

    /// <summary>Idle workers spin this long after a kernel before they sleep: a step's kernels follow each other closely.</summary>
    public const int DefaultSpinMicroseconds = 200;

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
    public unsafe bool TryLinear(Tensor input, Tensor weight, Tensor? bias, Tensor output, bool accumulate)
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
        return NativeKernelInterop.Linear((float*)TensorMemory.Address(input), m, k, TensorMemory.Address(weight), (int)weight.dtype, n,
            biasAddress, (float*)TensorMemory.Address(output), accumulate ? 1 : 0) == 0;
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
        return NativeKernelInterop.LinearQ8_0((float*)TensorMemory.Address(input), m, k, (sbyte*)TensorMemory.Address(weight.Quants),
            (ushort*)TensorMemory.Address(weight.Scales), n, biasAddress, (float*)TensorMemory.Address(output), accumulate ? 1 : 0) == 0;
    }
}
