namespace GqaService.Inference.Tests.KvCache;

/// <summary>Automatic prefix caching at the block level: freed full blocks stay indexed with reference count zero until
/// allocation evicts them, least recently used first; tenants never share; off keeps nothing.</summary>
public sealed class PrefixCachingTests
{
    private const int BlockSize = 4;

    [Fact]
    public void Released_full_blocks_stay_cached_with_refcount_zero_and_a_repeat_reuses_them()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize, prefixCaching: true);
        var prompt = KvCacheFixture.Range(100, 10);
        var first = cache.Prefilled(prompt, out _);
        var fullBlocks = first.Blocks.Take(2).ToArray();

        Assert.Equal(3, first.ReleaseAll());

        Assert.Equal((0, 2, 6, 8), (cache.Allocator.UsedBlocks, cache.Allocator.CachedBlocks, cache.Allocator.EmptyBlocks, cache.Allocator.FreeBlocks));
        Assert.All(fullBlocks, block => Assert.Equal(0, cache.Allocator.RefCount(block)));
        Assert.All(fullBlocks, block => Assert.True(cache.Allocator.IsCached(block)));
        var second = cache.Prefilled(prompt, out var reused);
        Assert.Equal(8, reused);
        Assert.Equal(fullBlocks, second.Blocks.Take(2));
        Assert.Equal(0, cache.Allocator.CachedBlocks);
        Assert.Empty(cache.Evicted);
        cache.Check(second);
    }

    [Fact]
    public void With_caching_off_a_freed_block_is_forgotten_and_nothing_is_kept()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize, prefixCaching: false);
        var prompt = KvCacheFixture.Range(100, 10);
        cache.Prefilled(prompt, out _).ReleaseAll();

        Assert.Equal((0, 8, 0), (cache.Allocator.CachedBlocks, cache.Allocator.EmptyBlocks, cache.Index.Count));
        Assert.Equal(0, cache.NewSequence().AttachSharedPrefix(prompt));
    }

    [Fact]
    public void Allocation_takes_empty_blocks_first_then_evicts_the_least_recently_used_prefix_tail_first()
    {
        var cache = new KvCacheFixture(totalBlocks: 4, BlockSize, prefixCaching: true);
        var promptA = KvCacheFixture.Range(0, 8);
        var promptB = KvCacheFixture.Range(50, 8);
        var a = cache.Prefilled(promptA, out _);
        var (a0, a1) = (a.Blocks[0], a.Blocks[1]);
        a.ReleaseAll();
        var b = cache.Prefilled(promptB, out _);
        var (b0, b1) = (b.Blocks[0], b.Blocks[1]);
        b.ReleaseAll();
        Assert.Empty(cache.Evicted);
        // A table is released last block first, so a prefix's tail is older than its head.
        Assert.Equal([a1, a0, b1, b0], cache.Allocator.CachedBlocksOldestFirst());

        // A is used again (its blocks leave the eviction order), and its third block evicts the oldest cached one: B's tail.
        var again = cache.Prefilled([.. promptA, 99], out var reusedA);
        Assert.Equal(8, reusedA);
        Assert.Equal([b1], cache.Evicted);
        again.ReleaseAll();
        Assert.Equal([b0, a1, a0], cache.Allocator.CachedBlocksOldestFirst());

        var bAgain = cache.Prefilled([.. promptB, 98], out var reusedB);
        Assert.Equal(4, reusedB);
        Assert.Equal(b0, bAgain.Blocks[0]);
        cache.Check(bAgain);
    }

    [Fact]
    public void An_all_or_nothing_reservation_counts_cached_blocks_as_free_and_evicts_them()
    {
        var cache = new KvCacheFixture(totalBlocks: 4, BlockSize, prefixCaching: true);
        cache.Prefilled(KvCacheFixture.Range(0, 16), out _).ReleaseAll();
        Assert.Equal((4, 0), (cache.Allocator.CachedBlocks, cache.Allocator.EmptyBlocks));

        var unrelated = cache.Computed(KvCacheFixture.Range(500, 16));

        Assert.Equal(4, unrelated.ReservedBlocks);
        Assert.Equal(4, cache.Evicted.Count);
        Assert.Equal(4, cache.Index.Count);
        cache.Check(unrelated);
    }

    [Fact]
    public void Tenants_never_share_a_block_live_or_cached()
    {
        var cache = new KvCacheFixture(totalBlocks: 16, BlockSize, prefixCaching: true);
        var prompt = KvCacheFixture.Range(100, 9);
        var ofA = cache.Prefilled(prompt, out _, tenant: "a");

        var ofB = cache.Prefilled(prompt, out var reusedByB, tenant: "b");
        Assert.Equal(0, reusedByB);
        Assert.Empty(ofA.Blocks.Intersect(ofB.Blocks));
        cache.Check(ofA, ofB);
        var blocksOfA = ofA.Blocks.Take(2).ToArray();
        ofA.ReleaseAll();
        ofB.ReleaseAll();

        var laterB = cache.Prefilled(prompt, out var laterReusedByB, tenant: "b");
        var laterA = cache.Prefilled(prompt, out var laterReusedByA, tenant: "a");
        Assert.Equal((8, 8), (laterReusedByA, laterReusedByB));
        var ofC = cache.Prefilled(prompt, out var reusedByC, tenant: "c");
        Assert.Equal(0, reusedByC);
        Assert.Equal(blocksOfA, laterA.Blocks.Take(2));
        Assert.Empty(laterA.Blocks.Intersect(laterB.Blocks));
        cache.Check(laterA, laterB, ofC);
    }

    [Fact]
    public void A_block_rewritten_after_truncation_never_leads_to_the_cached_children_of_its_old_content()
    {
        var cache = new KvCacheFixture(totalBlocks: 16, BlockSize, prefixCaching: true);
        var original = KvCacheFixture.Range(0, 13);
        cache.Prefilled(original, out _).ReleaseAll();
        // A session-like turn takes the cached chain, keeps 6 tokens and writes different tokens into block 1's tail.
        var turn = cache.Prefilled(original, out var reused);
        Assert.Equal(12, reused);
        var childOfOldBlock1 = turn.Blocks[2];
        turn.TruncateTo(6);
        Assert.True(cache.Pool.TryExtend(turn, [70, 71, 72]));
        Assert.True(cache.Allocator.IsCached(childOfOldBlock1));

        // Same first 8 tokens as the rewritten turn, then the old block 2's tokens: only the 8 rewritten tokens may be shared.
        var probe = cache.Prefilled([.. turn.Tokens.Take(8), .. original.Skip(8).Take(4), 5], out var probeReused);

        Assert.Equal(8, probeReused);
        Assert.NotEqual(childOfOldBlock1, probe.Blocks[2]);
        cache.Check(turn, probe);
    }

    [Fact]
    public void A_repeat_recomputing_a_cached_block_takes_over_its_registration_so_what_it_appends_is_cached_too()
    {
        var cache = new KvCacheFixture(totalBlocks: 16, BlockSize, prefixCaching: true);
        var prompt = KvCacheFixture.Range(0, 8);
        var first = cache.Prefilled([.. prompt, 40, 41, 42, 43, 44], out _);
        var cachedSecondBlock = first.Blocks[1];
        first.ReleaseAll();

        // The repeat shares block 0 only (block 1 holds its last prompt token), recomputes block 1, then appends its own output.
        var repeat = cache.Prefilled(prompt, out var reused);
        Assert.True(cache.Pool.TryExtend(repeat, [60, 61, 62, 63, 64]));
        Assert.Equal(4, reused);
        Assert.False(cache.Allocator.IsCached(cachedSecondBlock));
        Assert.True(cache.Index.Contains(repeat.Blocks[1]));
        Assert.True(cache.Index.Contains(repeat.Blocks[2]));
        cache.Check(repeat);
        repeat.ReleaseAll();

        // Both continuations are reachable now: the first request's (its cached child followed the registration) and the repeat's.
        var afterFirst = cache.Prefilled([.. prompt, 40, 41, 42, 43, 1], out var reusedAfterFirst);
        var afterRepeat = cache.Prefilled([.. prompt, 60, 61, 62, 63, 1], out var reusedAfterRepeat);
        Assert.Equal((12, 12), (reusedAfterFirst, reusedAfterRepeat));
        cache.Check(afterFirst, afterRepeat);
    }
}
