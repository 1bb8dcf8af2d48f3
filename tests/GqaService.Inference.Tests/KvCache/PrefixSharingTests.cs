namespace GqaService.Inference.Tests.KvCache;

public sealed class PrefixSharingTests
{
    private const int BlockSize = 16;

    [Fact]
    public void Same_prompt_shares_its_full_blocks()
    {
        var cache = new KvCacheFixture(totalBlocks: 16, BlockSize);
        var prompt = KvCacheFixture.Range(100, 40);
        var first = cache.Prefilled(prompt, out var firstReused);

        var second = cache.Prefilled(prompt, out var secondReused);

        Assert.Equal(0, firstReused);
        Assert.Equal(32, secondReused);
        Assert.Equal(first.Blocks.Take(2), second.Blocks.Take(2));
        Assert.NotEqual(first.Blocks[2], second.Blocks[2]);
        Assert.All(first.Blocks.Take(2), block => Assert.Equal(2, cache.Allocator.RefCount(block)));
        Assert.Equal(prompt, second.Tokens);
        cache.Check(first, second);
    }

    [Fact]
    public void Block_holding_the_last_prompt_token_is_never_shared()
    {
        var cache = new KvCacheFixture(totalBlocks: 16, BlockSize);
        var first = cache.Prefilled(KvCacheFixture.Range(100, 40), out _);

        var exact = cache.NewSequence();
        var reused = exact.AttachSharedPrefix(KvCacheFixture.Range(100, 32));

        Assert.Equal(16, reused);
        Assert.Equal([first.Blocks[0]], exact.Blocks);
        Assert.Equal(KvCacheFixture.Range(100, 16), exact.Tokens);
    }

    [Fact]
    public void Divergence_inside_block_two_shares_only_block_one()
    {
        var cache = new KvCacheFixture(totalBlocks: 16, BlockSize);
        var prompt = KvCacheFixture.Range(100, 40);
        var first = cache.Prefilled(prompt, out _);
        var divergent = prompt.ToArray();
        divergent[20] = 7;

        var second = cache.Prefilled(divergent, out var reused);

        Assert.Equal(16, reused);
        Assert.Equal(first.Blocks[0], second.Blocks[0]);
        Assert.Equal(2, cache.Allocator.RefCount(first.Blocks[0]));
        Assert.Equal(1, cache.Allocator.RefCount(first.Blocks[1]));
        cache.Check(first, second);
    }

    [Fact]
    public void Same_tokens_after_a_different_first_block_are_not_shared()
    {
        var cache = new KvCacheFixture(totalBlocks: 16, BlockSize);
        var first = cache.Prefilled([.. KvCacheFixture.Range(0, 16), .. KvCacheFixture.Range(500, 17)], out _);

        var second = cache.Prefilled([.. KvCacheFixture.Range(1, 16), .. KvCacheFixture.Range(500, 17)], out var reused);

        Assert.Equal(0, reused);
        Assert.Empty(first.Blocks.Intersect(second.Blocks));
    }

    [Fact]
    public void Freed_blocks_are_forgotten()
    {
        var cache = new KvCacheFixture(totalBlocks: 16, BlockSize);
        var prompt = KvCacheFixture.Range(100, 40);
        var first = cache.Prefilled(prompt, out _);
        Assert.Equal(2, cache.Index.Count);

        Assert.Equal(3, first.ReleaseAll());

        Assert.Equal(0, cache.Index.Count);
        Assert.Equal(0, cache.NewSequence().AttachSharedPrefix(prompt));
        Assert.Equal(16, cache.Allocator.FreeBlocks);
    }

    [Fact]
    public void Append_registers_every_block_it_fills_chained_to_its_predecessor()
    {
        var cache = new KvCacheFixture(totalBlocks: 16, BlockSize);
        var sequence = cache.Computed(KvCacheFixture.Range(0, 10));
        Assert.Equal(0, cache.Index.Count);

        Assert.True(cache.Pool.TryExtend(sequence, KvCacheFixture.Range(10, 30)));

        Assert.Equal(2, cache.Index.Count);
        Assert.True(cache.Index.TryGetKey(sequence.Blocks[1], out var parent, out var tokens));
        Assert.Equal(sequence.Blocks[0], parent);
        Assert.Equal(KvCacheFixture.Range(16, 16), tokens);
        Assert.False(cache.Index.Contains(sequence.Blocks[2]));
    }
}
