namespace GqaService.Inference.Engine.Events;

/// <summary>
/// Every block of the pool and who holds it, in parallel arrays indexed by block id (compact: a pool has thousands of
/// blocks). <see cref="OwnerOf"/> indexes <see cref="Owners"/>, -1 for a free block. <see cref="Sequence"/> is the last
/// event published before it, so a reader that loads it applies only later events. Immutable once published.
/// </summary>
public sealed record BlockMap
{
    public static readonly BlockMap Empty = new();

    public long Sequence { get; init; }
    public int BlockSize { get; init; }
    public IReadOnlyList<BlockMapOwner> Owners { get; init; } = [];
    public IReadOnlyList<int> OwnerOf { get; init; } = [];
    public IReadOnlyList<int> RefCounts { get; init; } = [];
    /// <summary>The block's logical index in its owner's block table.</summary>
    public IReadOnlyList<int> Positions { get; init; } = [];
    /// <summary>Token slots of the block holding K/V (at most the block size).</summary>
    public IReadOnlyList<int> Tokens { get; init; } = [];
    /// <summary>
    /// Free blocks whose content is still indexed for reuse by the prefix cache (reference count zero), the next to be evicted
    /// first.
    /// </summary>
    public IReadOnlyList<int> CachedFree { get; init; } = [];
}
