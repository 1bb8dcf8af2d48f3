using System.Runtime.InteropServices;
using GqaService.Inference.Kernels;
using static TorchSharp.torch;

namespace GqaService.Inference.KvCache;

/// <summary>
/// Asks Linux to back a large, not yet touched tensor with transparent huge pages (madvise MADV_HUGEPAGE; hosts whose
/// THP setting is "madvise" use them only where asked). Decode attention reads one head's slice of every slot of every
/// sequence, a few hundred bytes per 4 KiB page over tens of MB per layer, so with 4 KiB pages it waits on TLB misses:
/// the native kernel measured 2-3x faster over a huge-page pool at context 1000. The cost is residency in 2 MiB steps
/// (a touched block makes its whole 2 MiB region resident, and khugepaged fills in partly touched regions) instead of 4 KiB
/// ones, so only tensors whose slices along the first dimension (a pool's layers, filled independently) span many huge
/// pages are advised: a small pool (stories260K's 4 MiB layers) has no TLB problem to solve, and huge pages would make it
/// resident almost whole after the first request. Best effort: a failure changes speed only.
/// </summary>
internal static partial class HugePages
{
    private const int AdviseHugePage = 14; // MADV_HUGEPAGE
    private const long PageBytes = 4096;

    /// <summary>16 huge pages of 2 MiB: the residency step is then at most a sixteenth of a slice.</summary>
    public const long MinimumSliceBytes = 32L << 20;

    /// <summary>Advises <paramref name="tensor"/> if each of its slices along the first dimension is large enough.</summary>
    public static void Advise(Tensor tensor)
    {
        var bytes = tensor.numel() * tensor.ElementSize;
        if (!OperatingSystem.IsLinux() || bytes == 0 || bytes / tensor.shape[0] < MinimumSliceBytes)
        {
            return;
        }
        var start = (long)TensorMemory.AddressOf(tensor);
        var end = start + bytes;
        // madvise takes whole pages: advise the pages lying entirely inside the tensor.
        var first = (start + PageBytes - 1) & ~(PageBytes - 1);
        var last = end & ~(PageBytes - 1);
        if (last > first)
        {
            _ = Madvise((nint)first, (nuint)(last - first), AdviseHugePage);
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
