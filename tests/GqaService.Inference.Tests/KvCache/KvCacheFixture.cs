using GqaService.Inference.KvCache;

namespace GqaService.Inference.Tests.KvCache;

/// <summary>An allocator, prefix index and simulated pool wired together for one test (freed blocks kept as a prefix
/// cache when <c>prefixCaching</c>; <see cref="Evicted"/> lists what allocation evicted from it, in order).</summary>
internal sealed class KvCacheFixture
{
    private readonly int blockSize;

    public KvCacheFixture(int totalBlocks, int blockSize, bool prefixCaching = false)
    {
        this.blockSize = blockSize;
        Index = new PrefixBlockIndex(prefixCaching);
        Allocator = new BlockAllocator(totalBlocks, block =>
        {
            Evicted.Add(block);
            Index.Forget(block);
        });
        Pool = new SimulatedKvPool(totalBlocks, blockSize);
    }

    public BlockAllocator Allocator { get; }
    public PrefixBlockIndex Index { get; }
    public SimulatedKvPool Pool { get; }
    public List<int> Evicted { get; } = [];
    public int BlockSize => blockSize;

    public KvSequence NewSequence(string tenant = "") => new(Allocator, Index, blockSize, tenant);

    /// <summary>A sequence holding <paramref name="tokens"/>, computed from scratch (no prefix sharing).</summary>
    public KvSequence Computed(IReadOnlyList<int> tokens)
    {
        var sequence = NewSequence();
        Assert.True(Pool.TryExtend(sequence, tokens));
        return sequence;
    }

    /// <summary>What the engine does for a fresh prompt: share what the index knows, compute the rest.</summary>
    public KvSequence Prefilled(IReadOnlyList<int> prompt, out int reused, string tenant = "")
    {
        var sequence = NewSequence(tenant);
        reused = sequence.AttachSharedPrefix(prompt);
        Assert.True(Pool.TryExtend(sequence, prompt.Skip(reused).ToList()));
        return sequence;
    }

    public void Check(params KvSequence[] sequences) =>
        KvCacheInvariantChecker.Check(Allocator, Index, Pool, blockSize, sequences);

    public static int[] Range(int start, int count) => Enumerable.Range(start, count).ToArray();
}
