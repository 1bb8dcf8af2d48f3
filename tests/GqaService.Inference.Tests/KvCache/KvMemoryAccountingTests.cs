using GqaService.Inference.KvCache;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.KvCache;

public sealed class KvMemoryAccountingTests
{
    private const int BlockSize = 4;
    private const long GqaBytesPerToken = 2 * 5 * 4 * 8 * 4; // 2 (K,V) · layers · kvHeads · headDim · fp32
    private const long MhaBytesPerToken = 2 * 5 * 8 * 8 * 4;

    [Fact]
    public void Known_scenario_gives_exact_numbers()
    {
        var cache = new KvCacheFixture(totalBlocks: 16, BlockSize);
        var store = new SessionStore(cache.Allocator, cache.Index, BlockSize, new ManualTimeProvider());
        // Session: 10 tokens in blocks of 4 + 4 + 2.
        var session = store.GetOrCreate(new("", "chat"));
        Assert.True(cache.Pool.TryExtend(session.Sequence, KvCacheFixture.Range(0, 10)));
        // A fork that appended one token: shares blocks 0-1, copied block 2 and holds 3 positions in it.
        var appended = session.Sequence.Fork();
        Assert.True(cache.Pool.TryExtend(appended, [50]));
        // A fork truncated to 9: shares all three session blocks but uses only 1 slot of the last.
        var truncated = session.Sequence.Fork();
        truncated.TruncateTo(9);

        var snapshot = KvMemoryAccounting.Snapshot(
            store, [appended, truncated, session.Sequence, appended], GqaBytesPerToken, MhaBytesPerToken);

        Assert.Equal(BlockSize, snapshot.BlockSize);
        Assert.Equal((16, 4, 12), (snapshot.BlocksTotal, snapshot.BlocksUsed, snapshot.BlocksFree));
        Assert.Equal(1280 * 4, snapshot.BytesPerBlock);
        Assert.Equal(16 * 5120, snapshot.BytesTotal);
        Assert.Equal(4 * 5120, snapshot.BytesUsed);
        Assert.Equal((1280, 2560), (snapshot.KvBytesPerToken, snapshot.MhaKvBytesPerToken));
        Assert.Equal(4 + 4 + 2 + 3, snapshot.TokensCached);
        Assert.Equal(16 - 13, snapshot.FragmentedSlots);
        Assert.Equal(3, snapshot.SharedBlocks);
        Assert.Equal(13 * (2560 - 1280), snapshot.GqaSavedBytes);
        Assert.Equal([new SessionInfo("chat", 10, 3, 3 * 5120, session.LastUsed, false)], snapshot.Sessions);
        Assert.True(snapshot.ProcessWorkingSetBytes > 0);
        Assert.True(snapshot.ManagedHeapBytes > 0);
        Assert.Equal((0, 0), (snapshot.RunningSequences, snapshot.WaitingRequests));
    }

    [Fact]
    public void Empty_cache_is_all_free()
    {
        var allocator = new BlockAllocator(8);

        var snapshot = KvMemoryAccounting.Snapshot(allocator, BlockSize, GqaBytesPerToken, MhaBytesPerToken, [], []);

        Assert.Equal((8, 0, 8), (snapshot.BlocksTotal, snapshot.BlocksUsed, snapshot.BlocksFree));
        Assert.Equal((0, 0, 0, 0L), (snapshot.TokensCached, snapshot.FragmentedSlots, snapshot.SharedBlocks, snapshot.GqaSavedBytes));
    }
}
