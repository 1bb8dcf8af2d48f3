using GqaService.Inference.Kernels;
using static TorchSharp.torch;

namespace GqaService.Inference.Native;

/// <summary>
/// Asks Linux to back large tensors with transparent huge pages (madvise MADV_HUGEPAGE; hosts whose THP setting is
/// "madvise" use them only where asked): the KV pool before anything touches it (<see cref="Advise"/>) and the weight
/// matrices, moved once built (<see cref="MoveOnto"/>). Best effort: a failure changes speed only.
/// </summary>
internal static class HugePages
{
    private const long PageBytes = 4096;

    /// <summary>A transparent huge page on x86-64 Linux.</summary>
    public const long HugePageBytes = 2L << 20;

    /// <summary>16 huge pages: the residency step is then at most a sixteenth of a slice.</summary>
    public const long MinimumSliceBytes = 16 * HugePageBytes;

    /// <summary>
    /// Advises a not yet touched <paramref name="tensor"/> (the KV pool) if each of its slices along the first dimension
    /// is large enough. Decode attention reads one head's slice of every slot of every sequence, a few hundred bytes per
    /// 4 KiB page over tens of MB per layer, so with 4 KiB pages it waits on TLB misses: the native kernel measured 2-3x
    /// faster over a huge-page pool at context 1000. The cost is residency in 2 MiB steps (a touched block makes its
    /// whole 2 MiB region resident, and khugepaged fills in partly touched regions) instead of 4 KiB ones, so only
    /// tensors whose slices (a pool's layers, filled independently) span many huge pages are advised: a small pool
    /// (stories260K's 4 MiB layers) has no TLB problem to solve, and huge pages would make it resident almost whole
    /// after the first request. A small pool is advised the other way (MADV_NOHUGEPAGE): advice belongs to the mapping,
    /// not to an allocation, so the heap range a freed huge-page tensor (a moved weight) leaves behind would otherwise
    /// hand it huge pages anyway (a loaded suite run caught a small pool in such a range).
    /// </summary>
    public static void Advise(Tensor tensor)
    {
        var bytes = tensor.numel() * tensor.ElementSize;
        if (!OperatingSystem.IsLinux() || bytes == 0)
        {
            return;
        }
        var advice = bytes / tensor.shape[0] >= MinimumSliceBytes ? MemoryAdvice.HugePage : MemoryAdvice.NoHugePage;
        AdviseWholePages((long)TensorMemory.AddressOf(tensor), bytes, advice);
    }

    /// <summary>
    /// A weight matrix moved into memory that starts on a huge-page boundary and is advised before it is written, so
    /// every whole 2 MiB of it lies on a huge page (the last partial one stays on 4 KiB pages: nothing past the tensor
    /// becomes resident). Decoding streams every weight once per step; on huge pages the same kernel read random100M's
    /// decode matmuls in 0.91-0.94 of the time (float32 and bf16, 40 alternated steps each, docs/benchmarks.md, ninth
    /// round), the TLB walks that 4 KiB pages add to a 30 GB/s stream. <paramref name="tensor"/> is disposed when moved;
    /// one under 2 MiB, a non-contiguous one, or any on a host other than Linux, comes back as it is.
    /// </summary>
    public static Tensor MoveOnto(Tensor tensor)
    {
        var bytes = tensor.numel() * tensor.ElementSize;
        if (!OperatingSystem.IsLinux() || bytes < HugePageBytes || !tensor.is_contiguous())
        {
            return tensor;
        }
        // One huge page of slack, never touched (so never resident), lets the tensor start on a boundary.
        using var raw = empty(tensor.numel() + HugePageBytes / tensor.ElementSize, tensor.dtype);
        var start = (long)TensorMemory.AddressOf(raw);
        var aligned = (start + HugePageBytes - 1) & ~(HugePageBytes - 1);
        if ((aligned - start) % tensor.ElementSize != 0)
        {
            return tensor; // libtorch aligns to 64 bytes, so this cannot happen; keep the tensor where it is if it does
        }
        AdviseWholePages(aligned, bytes & ~(HugePageBytes - 1), MemoryAdvice.HugePage);
        using var slice = raw.narrow(0, (aligned - start) / tensor.ElementSize, tensor.numel());
        var moved = slice.view(tensor.shape);
        moved.copy_(tensor);
        tensor.Dispose();
        return moved.DetachFromDisposeScope();
    }

    /// <summary>madvise takes whole pages: advises the pages lying entirely inside [start, start + bytes).</summary>
    private static void AdviseWholePages(long start, long bytes, int advice)
    {
        var first = (start + PageBytes - 1) & ~(PageBytes - 1);
        var last = (start + bytes) & ~(PageBytes - 1);
        if (last > first)
        {
            _ = MemoryAdvice.Madvise((nint)first, (nuint)(last - first), advice);
        }
    }
}
