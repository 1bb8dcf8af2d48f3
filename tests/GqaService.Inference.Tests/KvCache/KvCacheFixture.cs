using GqaService.Inference.KvCache;

namespace GqaService.Inference.Tests.KvCache;

/// <summary>An allocator, prefix index and simulated pool wired together for one test.</summary>
internal sealed class KvCacheFixture(int totalBlocks, int blockSize)
{
    public BlockAllocator Allocator { get; } = new(totalBlocks);
    public PrefixBlockIndex Index { get; } = new();
    public SimulatedKvPool Pool { get; } = new(totalBlocks, blockSize);
    public int BlockSize => blockSize;

    public KvSequence NewSequence() => new(Allocator, Index, blockSize);

    /// <summary>A sequence holding <paramref name="tokens"/>, computed from scratch (no prefix sharing).</summary>
    public KvSequence Computed(IReadOnlyList<int> tokens)
    {
        var sequence = NewSequence();
        Assert.True(Pool.TryExtend(sequence, tokens));
        return sequence;
    }

    /// <summary>What the engine does for a fresh prompt: share what the index knows, compute the rest.</summary>
    public KvSequence Prefilled(IReadOnlyList<int> prompt, out int reused)
    {
        var sequence = NewSequence();
        reused = sequence.AttachSharedPrefix(prompt);
        Assert.True(Pool.TryExtend(sequence, prompt.Skip(reused).ToList()));
        return sequence;
    }

    public void Check(params KvSequence[] sequences) =>
        KvCacheInvariantChecker.Check(Allocator, Index, Pool, blockSize, sequences);

    public static int[] Range(int start, int count) => Enumerable.Range(start, count).ToArray();
}
