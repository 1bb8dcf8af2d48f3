using GqaService.Inference.KvCache;

namespace GqaService.Inference.Tests.KvCache;

public sealed class TruncationTests
{
    private const int BlockSize = 16;

    [Fact]
    public void Truncation_releases_blocks_beyond_length_and_keeps_the_partial_one()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize);
        var sequence = cache.Computed(KvCacheFixture.Range(0, 50));
        var kept = sequence.Blocks.Take(2).ToArray();

        sequence.TruncateTo(20);

        Assert.Equal(kept, sequence.Blocks);
        Assert.Equal(KvCacheFixture.Range(0, 20), sequence.Tokens);
        Assert.Equal(6, cache.Allocator.FreeBlocks);
        Assert.Equal(20, sequence.CommonPrefixLength(KvCacheFixture.Range(0, 40)));
        Assert.Throws<ArgumentOutOfRangeException>(() => sequence.TruncateTo(21));
        cache.Check(sequence);
    }

    [Fact]
    public void Divergent_next_prompt_truncates_to_the_common_prefix_and_recomputes_the_rest()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize);
        var session = cache.Computed(KvCacheFixture.Range(0, 40));
        int[] nextPrompt = [.. KvCacheFixture.Range(0, 25), 999, 998];

        var common = session.CommonPrefixLength(nextPrompt);
        session.TruncateTo(common);
        Assert.True(cache.Pool.TryExtend(session, nextPrompt[common..]));

        Assert.Equal(25, common);
        Assert.Equal(nextPrompt, session.Tokens);
        cache.Check(session);
        Assert.Equal(16, cache.NewSequence().AttachSharedPrefix(KvCacheFixture.Range(0, 40)));
    }

    [Fact]
    public void Full_prompt_hit_on_a_private_block_recomputes_the_last_token_in_place()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize);
        var prompt = KvCacheFixture.Range(0, 32);
        var session = cache.Computed(prompt);
        var blocks = session.Blocks.ToArray();

        Assert.Equal(32, session.CommonPrefixLength(prompt));
        session.TruncateTo(prompt.Length - 1);
        var copies = new List<BlockCopy>();
        Assert.True(session.TryReserve(1, copies));

        Assert.Empty(copies);
        Assert.Equal(blocks, session.Blocks);
        // About to be overwritten, so no longer offered for sharing until it is full again.
        Assert.False(cache.Index.Contains(blocks[1]));

        session.Append([prompt[^1]]);
        Assert.True(cache.Index.Contains(blocks[1]));
        Assert.Equal(prompt, session.Tokens);
    }

    [Fact]
    public void Full_prompt_hit_on_a_shared_block_copies_it_before_recomputing()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize);
        var prompt = KvCacheFixture.Range(0, 32);
        var session = cache.Computed(prompt);
        var blocks = session.Blocks.ToArray();
        var other = cache.Prefilled([.. prompt, 5], out var reused);
        Assert.Equal(32, reused);

        session.TruncateTo(31);
        Assert.Equal(blocks, session.Blocks);
        Assert.True(cache.Pool.TryExtend(session, [prompt[^1]]));

        Assert.Equal(blocks[0], session.Blocks[0]);
        Assert.NotEqual(blocks[1], session.Blocks[1]);
        Assert.True(cache.Index.Contains(blocks[1]));
        Assert.Equal(blocks, other.Blocks.Take(2));
        cache.Check(session, other);
    }

    [Fact]
    public void Registered_block_left_partial_by_truncation_is_forgotten_before_being_overwritten()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize);
        var first = cache.Computed(KvCacheFixture.Range(0, 16));
        var block = first.Blocks[0];

        first.TruncateTo(8);
        Assert.True(cache.Pool.TryExtend(first, KvCacheFixture.Range(500, 4)));

        Assert.Equal(block, first.Blocks[0]);
        Assert.False(cache.Index.Contains(block));
        Assert.Equal(0, cache.NewSequence().AttachSharedPrefix(KvCacheFixture.Range(0, 17)));
        cache.Check(first);
    }

    [Fact]
    public void Truncating_to_zero_releases_everything()
    {
        var cache = new KvCacheFixture(totalBlocks: 8, BlockSize);
        var sequence = cache.Computed(KvCacheFixture.Range(0, 33));

        sequence.TruncateTo(0);

        Assert.Empty(sequence.Blocks);
        Assert.Equal(0, sequence.Length);
        Assert.Equal(8, cache.Allocator.FreeBlocks);
        Assert.Equal(0, cache.Index.Count);
    }
}
