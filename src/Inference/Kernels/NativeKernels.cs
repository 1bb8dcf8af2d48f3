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
        return status == 0;
    }
}
