using System.Runtime.InteropServices;
using GqaService.Inference.Kernels;
using static TorchSharp.torch;

namespace GqaService.Inference.KvCache;

/// <summary>
/// Asks Linux to back a large, not yet touched tensor with transparent huge pages (madvise MADV_HUGEPAGE; hosts whose
/// THP setting is "madvise" use them only where asked). Decode attention reads one head's slice of every slot of every
/// sequence, a few hundred bytes per 4 KiB page over tens of MB per layer, so with 4 KiB pages it waits on TLB misses:
/// the native kernel measured 2-3x faster over a huge-page pool at context 1000. The cost is residency in 2 MiB steps
/// (a touched block makes its whole 2 MiB region resident) instead of 4 KiB ones. Best effort: a failure changes speed only.
/// </summary>
internal static unsafe partial class HugePages
{
    private const int AdviseHugePage = 14; // MADV_HUGEPAGE
    private const long PageBytes = 4096;

    public static void Advise(Tensor tensor)
    {
        if (!OperatingSystem.IsLinux() || tensor.numel() == 0)
        {
            return;
        }
        var start = (long)TensorMemory.Address(tensor);
        var end = start + tensor.numel() * tensor.ElementSize;
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
