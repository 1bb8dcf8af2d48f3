using GqaService.Inference.KvCache;

namespace GqaService.Inference.Tests.KvCache;

public sealed class CopyOnWriteTests
{
    private const int BlockSize = 16;

    [Fact]
    public void Appending_to_a_fork_copies_the_shared_partial_block()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize);
        var original = cache.Computed(KvCacheFixture.Range(0, 20));
        var originalBlocks = original.Blocks.ToArray();
        var fork = original.Fork();
        Assert.Equal(0, fork.BlocksNeededFor(0));
        Assert.Equal(1, fork.BlocksNeededFor(1));

        var copies = new List<BlockCopy>();
        Assert.True(fork.TryReserve(1, copies));

        var copy = Assert.Single(copies);
        Assert.Equal(new BlockCopy(originalBlocks[1], fork.Blocks[1], Slots: 4), copy);
        Assert.Equal(originalBlocks, original.Blocks);
        Assert.Equal(originalBlocks[0], fork.Blocks[0]);
        Assert.Equal(2, cache.Allocator.RefCount(originalBlocks[0]));
        Assert.Equal(1, cache.Allocator.RefCount(originalBlocks[1]));
        Assert.Equal(1, cache.Allocator.RefCount(fork.Blocks[1]));
    }

    [Fact]
    public void Both_sides_keep_their_own_tokens_after_diverging()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize);
        var original = cache.Computed(KvCacheFixture.Range(0, 20));
        var fork = original.Fork();

        Assert.True(cache.Pool.TryExtend(fork, [900, 901]));
        Assert.True(cache.Pool.TryExtend(original, [700]));

        Assert.Equal([.. KvCacheFixture.Range(0, 20), 900, 901], fork.Tokens);
        Assert.Equal([.. KvCacheFixture.Range(0, 20), 700], original.Tokens);
        Assert.Equal(original.Blocks[0], fork.Blocks[0]);
        cache.Check(original, fork);
    }

    [Fact]
    public void Full_shared_block_needs_no_copy_just_a_new_block()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize);
        var original = cache.Computed(KvCacheFixture.Range(0, 16));
        var fork = original.Fork();
        var copies = new List<BlockCopy>();

        Assert.True(fork.TryReserve(3, copies));

        Assert.Empty(copies);
        Assert.Equal(2, fork.ReservedBlocks);
        Assert.Equal(original.Blocks[0], fork.Blocks[0]);
        Assert.Equal(2, cache.Allocator.RefCount(original.Blocks[0]));
    }

    [Fact]
    public void Reservation_allocates_only_when_the_last_block_is_full_and_is_all_or_nothing()
    {
        var cache = new KvCacheFixture(totalBlocks: 3, BlockSize);
        var sequence = cache.Computed(KvCacheFixture.Range(0, 10));
        var copies = new List<BlockCopy>();

        Assert.True(sequence.TryReserve(6, copies));
        Assert.Equal(1, sequence.ReservedBlocks);
        // Reserved-but-unwritten positions do not count: 10 stored + 39 new = 49 positions = 4 blocks, 1 held.
        Assert.Equal(3, sequence.BlocksNeededFor(6 + 16 + 17));

        Assert.False(sequence.TryReserve(6 + 16 + 17, copies));
        Assert.Equal(1, sequence.ReservedBlocks);
        Assert.Equal(2, cache.Allocator.FreeBlocks);
        Assert.Empty(copies);
    }

    [Fact]
    public void Copy_on_write_that_cannot_get_a_block_changes_nothing()
    {
        var cache = new KvCacheFixture(totalBlocks: 2, BlockSize);
        var original = cache.Computed(KvCacheFixture.Range(0, 20));
        var fork = original.Fork();
        var copies = new List<BlockCopy>();

        Assert.False(fork.TryReserve(1, copies));

        Assert.Empty(copies);
        Assert.Equal(original.Blocks, fork.Blocks);
        Assert.Equal(2, cache.Allocator.RefCount(original.Blocks[1]));
    }

    [Fact]
    public void Appending_without_reserving_is_a_bug()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize);
        var original = cache.Computed(KvCacheFixture.Range(0, 20));
        var fork = original.Fork();

        // Capacity exists (12 free slots in the shared block), but writing there would clobber the original.
        Assert.Throws<InvalidOperationException>(() => fork.Append([1]));
        Assert.Throws<InvalidOperationException>(() => original.Append(KvCacheFixture.Range(0, 13)));
        Assert.Equal(20, fork.Length);
    }
}
