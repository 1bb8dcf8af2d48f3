using GqaService.Inference.KvCache;

namespace GqaService.Inference.Tests.KvCache;

public sealed class BlockAllocatorTests
{
    [Fact]
    public void Allocates_counts_references_and_frees_on_last_release()
    {
        var allocator = new BlockAllocator(3);

        Assert.True(allocator.TryAllocate(out var block));
        Assert.Equal(0, block);
        Assert.Equal(1, allocator.RefCount(block));
        Assert.Equal((3, 2, 1), (allocator.TotalBlocks, allocator.FreeBlocks, allocator.UsedBlocks));

        allocator.AddRef(block);
        Assert.Equal(2, allocator.RefCount(block));
        Assert.False(allocator.Release(block));
        Assert.True(allocator.Release(block));
        Assert.Equal(0, allocator.RefCount(block));
        Assert.Equal(3, allocator.FreeBlocks);
        allocator.CheckInvariants();
    }

    [Fact]
    public void Version_moves_with_every_change_of_ownership_and_never_with_a_read()
    {
        var allocator = new BlockAllocator(4, cachedBlockEvicted: _ => { });
        var seen = new List<long> { allocator.Version };
        void Changed() { Assert.DoesNotContain(allocator.Version, seen); seen.Add(allocator.Version); }
        void Unchanged() => Assert.Equal(seen[^1], allocator.Version);

        Assert.True(allocator.TryAllocate(out var a));
        Changed();
        var many = new List<int>();
        Assert.True(allocator.TryAllocate(2, many));
        Changed();
        Assert.False(allocator.TryAllocate(5, many)); // all-or-nothing: a refused request changes nothing
        Unchanged();
        allocator.AddRef(a);
        Changed();
        Assert.False(allocator.Release(a));           // a shared block loses one reference
        Changed();
        Assert.True(allocator.Release(many[0], keepCached: true));
        Changed();
        _ = (allocator.RefCount(a), allocator.FreeBlocks, allocator.UsedBlocks, allocator.IsCached(many[0]), allocator.CachedBlocksOldestFirst());
        Unchanged();
        allocator.AddRef(many[0]);                    // a cache hit takes it back
        Changed();
        Assert.True(allocator.Release(many[0], keepCached: true));
        Changed();
        allocator.DiscardCached(many[0]);
        Changed();
        Assert.True(allocator.Release(a));
        Changed();
    }

    [Fact]
    public void Running_out_returns_false()
    {
        var allocator = new BlockAllocator(2);
        Assert.True(allocator.TryAllocate(out _));
        Assert.True(allocator.TryAllocate(out _));

        Assert.False(allocator.TryAllocate(out var none));
        Assert.Equal(-1, none);
        allocator.CheckInvariants();
    }

    [Fact]
    public void Allocating_many_is_all_or_nothing()
    {
        var allocator = new BlockAllocator(4);
        var blocks = new List<int> { 99 };

        Assert.False(allocator.TryAllocate(5, blocks));
        Assert.Equal([99], blocks);
        Assert.Equal(4, allocator.FreeBlocks);

        Assert.True(allocator.TryAllocate(4, blocks));
        Assert.Equal([99, 0, 1, 2, 3], blocks);
        Assert.Equal(0, allocator.FreeBlocks);
        allocator.CheckInvariants();
    }

    [Fact]
    public void Releasing_or_referencing_a_free_block_is_a_bug()
    {
        var allocator = new BlockAllocator(2);
        Assert.Throws<InvalidOperationException>(() => allocator.Release(1));
        Assert.Throws<InvalidOperationException>(() => allocator.AddRef(1));

        allocator.TryAllocate(out var block);
        allocator.Release(block);
        Assert.Throws<InvalidOperationException>(() => allocator.Release(block));
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.RefCount(2));
        allocator.CheckInvariants();
    }

    [Fact]
    public void Freed_blocks_are_reused()
    {
        var allocator = new BlockAllocator(1);
        allocator.TryAllocate(out var first);
        allocator.Release(first);

        Assert.True(allocator.TryAllocate(out var second));
        Assert.Equal(first, second);
        Assert.Equal(1, allocator.RefCount(second));
    }
}
