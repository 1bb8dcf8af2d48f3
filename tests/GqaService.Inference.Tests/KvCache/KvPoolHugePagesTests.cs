using GqaService.Inference.Kernels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Native;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.KvCache;

/// <summary>
/// Huge pages are asked for only where a pool layer spans many of them, and refused for smaller pools: Linux's own view
/// of the pool's mapping (<c>/proc/self/smaps</c>, flags <c>hg</c> = MADV_HUGEPAGE, <c>nh</c> = MADV_NOHUGEPAGE) says
/// which advice was given. Neither pool is touched, so neither costs resident memory.
/// </summary>
public sealed class KvPoolHugePagesTests
{
    [Fact]
    public void ASmallPool_RefusesHugePages_SoOneRequestDoesNotMakeItResident()
    {
        var layout = new KvLayout(RandomModels.Config(heads: 4, kvHeads: 2), KvDtype.F32, blockSize: 16);
        // 1 MiB per layer (64 bytes per token and layer): like stories260K's 4 MiB layers, far below a worthwhile size.
        using var pool = new KvPool(layout, totalBlocks: 1024);
        Assert.True(LayerBytes(pool) < HugePages.MinimumSliceBytes);

        Assert.False(IsAdvised(pool));
        Assert.True(ProcessMappings.IsNoHugePageAdvised(Middle(pool)), "a small pool refuses huge pages a freed tensor's range would give it");
    }

    [Fact]
    public void ALargePool_IsAdvised()
    {
        var layout = new KvLayout(RandomModels.Config(heads: 4, kvHeads: 2), KvDtype.F32, blockSize: 16);
        using var pool = new KvPool(layout, totalBlocks: (int)(HugePages.MinimumSliceBytes / (16 * 64)));
        Assert.Equal(HugePages.MinimumSliceBytes, LayerBytes(pool));

        Assert.True(IsAdvised(pool));
    }

    private static long LayerBytes(KvPool pool) => pool.Keys(0).numel() * pool.Keys(0).ElementSize;

    /// <summary>Whether the mapping holding the middle of the pool's keys (all layers, one tensor) is advised.</summary>
    private static bool IsAdvised(KvPool pool) => ProcessMappings.IsHugePageAdvised(Middle(pool));

    private static ulong Middle(KvPool pool)
    {
        var first = (ulong)TensorMemory.AddressOf(pool.Keys(0));
        var last = (ulong)TensorMemory.AddressOf(pool.Keys(pool.Layout.Layers - 1)) + (ulong)LayerBytes(pool);
        return first + ((last - first) / 2);
    }
}
