using GqaService.Inference.KvCache;

namespace GqaService.Inference.Tests.KvCache;

public sealed class PrefixBlockIndexTests
{
    [Fact]
    public void Finds_a_block_only_under_its_exact_parent_and_tokens()
    {
        var index = new PrefixBlockIndex();
        Assert.True(index.Register(PrefixBlockIndex.RootParent, [1, 2, 3, 4], block: 7));
        Assert.True(index.Register(7, [5, 6, 7, 8], block: 3));

        Assert.True(index.TryFind(PrefixBlockIndex.RootParent, [1, 2, 3, 4], out var first));
        Assert.Equal(7, first);
        Assert.True(index.TryFind(7, [5, 6, 7, 8], out var second));
        Assert.Equal(3, second);
        Assert.False(index.TryFind(PrefixBlockIndex.RootParent, [5, 6, 7, 8], out _));
        Assert.False(index.TryFind(7, [5, 6, 7, 9], out _));
    }

    [Fact]
    public void Hash_collisions_never_cause_false_sharing()
    {
        // Mask 0: every key lands in the same bucket, so only exact token comparison can tell them apart.
        var index = new PrefixBlockIndex(hashMask: 0);
        index.Register(PrefixBlockIndex.RootParent, [1, 1, 1, 1], block: 0);
        index.Register(PrefixBlockIndex.RootParent, [1, 1, 1, 2], block: 1);
        index.Register(0, [1, 1, 1, 2], block: 2);

        Assert.True(index.TryFind(PrefixBlockIndex.RootParent, [1, 1, 1, 2], out var block));
        Assert.Equal(1, block);
        Assert.True(index.TryFind(0, [1, 1, 1, 2], out block));
        Assert.Equal(2, block);
        Assert.False(index.TryFind(1, [1, 1, 1, 2], out _));
        Assert.False(index.TryFind(PrefixBlockIndex.RootParent, [2, 1, 1, 1], out _));

        Assert.True(index.Forget(1));
        Assert.False(index.TryFind(PrefixBlockIndex.RootParent, [1, 1, 1, 2], out _));
        Assert.True(index.TryFind(0, [1, 1, 1, 2], out block));
        Assert.Equal(2, block);
    }

    [Fact]
    public void First_registration_of_a_key_wins_and_forgetting_is_idempotent()
    {
        var index = new PrefixBlockIndex();
        Assert.True(index.Register(PrefixBlockIndex.RootParent, [4, 4], block: 1));
        Assert.False(index.Register(PrefixBlockIndex.RootParent, [4, 4], block: 2));
        Assert.False(index.Register(PrefixBlockIndex.RootParent, [4, 4], block: 1));
        Assert.Throws<InvalidOperationException>(() => index.Register(PrefixBlockIndex.RootParent, [5, 5], block: 1));

        Assert.Equal(1, index.Count);
        Assert.False(index.Contains(2));
        Assert.True(index.Forget(1));
        Assert.False(index.Forget(1));
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void A_reused_parent_block_id_never_reaches_the_children_of_its_previous_content()
    {
        var index = new PrefixBlockIndex(keepFreedBlocks: true);
        Assert.True(index.Register(PrefixBlockIndex.RootParent, [1, 2], block: 0));
        Assert.True(index.Register(0, [3, 4], block: 1));

        // Block 0 is evicted and refilled with other content while its cached child stays indexed.
        Assert.True(index.Forget(0));
        Assert.True(index.Register(PrefixBlockIndex.RootParent, [9, 9], block: 0));

        Assert.False(index.TryFind(0, [3, 4], out _));
        Assert.True(index.Contains(1));
    }

    [Fact]
    public void The_tenant_is_part_of_the_root_so_the_same_tokens_are_two_keys()
    {
        var index = new PrefixBlockIndex();
        Assert.True(index.Register(PrefixBlockIndex.RootParent, [1, 2], block: 0, tenant: "a"));
        Assert.True(index.Register(PrefixBlockIndex.RootParent, [1, 2], block: 1, tenant: "b"));
        Assert.True(index.Register(0, [3, 4], block: 2, tenant: "a"));

        Assert.True(index.TryFind(PrefixBlockIndex.RootParent, [1, 2], out var ofA, tenant: "a"));
        Assert.True(index.TryFind(PrefixBlockIndex.RootParent, [1, 2], out var ofB, tenant: "b"));
        Assert.Equal((0, 1), (ofA, ofB));
        Assert.False(index.TryFind(PrefixBlockIndex.RootParent, [1, 2], out _));
        Assert.False(index.TryFind(1, [3, 4], out _, tenant: "b"));
        Assert.Throws<InvalidOperationException>(() => index.TryFind(0, [3, 4], out _, tenant: "b"));
    }
}
