namespace GqaService.Inference.KvCache;

/// <summary>
/// Hands out the physical KV blocks <c>0..TotalBlocks-1</c> of the paged pool and counts references to them,
/// so a block can be shared by several block tables (prefix sharing, forks) and is freed with its last reference.
/// A freed block is either empty or <em>cached</em>: it keeps a finished request's prefix (automatic prefix caching)
/// until allocation needs its space, which takes empty blocks first and then evicts cached ones least recently
/// released first, telling the prefix index through the eviction callback before the slots are reused. Cached blocks
/// count as free everywhere (<see cref="FreeBlocks"/>): holding them never makes an allocation fail.
/// Running out of blocks is an ordinary condition (the <c>TryAllocate</c> methods return false); releasing or
/// re-referencing a free block is a bookkeeping bug and throws.
/// Not thread-safe: the single engine thread owns it.
/// </summary>
public sealed class BlockAllocator
{
    // Invariant: refCounts[b] == 0 exactly for the blocks on freeList (empty) or in cached (exactly one of the two);
    // usedBlocks + freeList.Count + cached.Count == TotalBlocks.
    private readonly int[] refCounts;
    private readonly Stack<int> freeList;
    private readonly CachedBlockQueue cached;
    private readonly Action<int>? cachedBlockEvicted;
    private int usedBlocks;
    private long version;

    public BlockAllocator(int totalBlocks)
        : this(totalBlocks, cachedBlockEvicted: null)
    {
    }

    /// <param name="cachedBlockEvicted">Called with a cached block the moment allocation takes it for new content (its
    /// prefix is gone); needed before any block is released into the cache.</param>
    public BlockAllocator(int totalBlocks, Action<int>? cachedBlockEvicted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalBlocks);
        refCounts = new int[totalBlocks];
        freeList = new Stack<int>(totalBlocks);
        cached = new CachedBlockQueue(totalBlocks);
        this.cachedBlockEvicted = cachedBlockEvicted;
        // Pushed in reverse so a fresh allocator hands out 0, 1, 2, ... (predictable slots in tests and logs).
        for (var block = totalBlocks - 1; block >= 0; block--)
        {
            freeList.Push(block);
        }
    }

    public int TotalBlocks => refCounts.Length;
    /// <summary>Blocks an allocation can take now: empty ones plus cached ones (evicted on demand).</summary>
    public int FreeBlocks => freeList.Count + cached.Count;
    /// <summary>Free blocks that still hold a reusable prefix (reference count zero).</summary>
    public int CachedBlocks => cached.Count;
    /// <summary>Free blocks holding nothing reusable.</summary>
    public int EmptyBlocks => freeList.Count;
    public int UsedBlocks => usedBlocks;

    /// <summary>
    /// Grows with every change of a block's reference count or free state (allocate, share, release, discard), so an
    /// observer can tell in O(1) that nothing about block ownership moved since it last looked.
    /// </summary>
    public long Version => version;

    public bool IsCached(int block)
    {
        CheckRange(block);
        return cached.Contains(block);
    }

    /// <summary>The cached blocks, the next to be evicted first.</summary>
    public IReadOnlyList<int> CachedBlocksOldestFirst() => cached.OldestFirst();

    /// <summary>Takes one free block with refCount 1, an empty one if any, else the least recently cached one
    /// (evicted: the callback hears of it first); false (block = -1) when none is free.</summary>
    public bool TryAllocate(out int block)
    {
        if (!freeList.TryPop(out block))
        {
            if (!cached.TryTakeOldest(out block))
            {
                block = -1;
                return false;
            }
            cachedBlockEvicted!(block);
        }
        if (refCounts[block] != 0)
        {
            throw new InvalidOperationException($"Free list held block {block} with refCount {refCounts[block]}.");
        }
        refCounts[block] = 1;
        usedBlocks++;
        version++;
        return true;
    }

    /// <summary>All-or-nothing: appends <paramref name="count"/> fresh blocks to <paramref name="into"/>, or changes nothing and returns false.</summary>
    public bool TryAllocate(int count, List<int> into)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(into);
        if (count > FreeBlocks)
        {
            return false;
        }
        for (var i = 0; i < count; i++)
        {
            TryAllocate(out var block);
            into.Add(block);
        }
        return true;
    }

    /// <summary>One more table references <paramref name="block"/>; it must be in use or cached (a cache hit takes it
    /// back out of the eviction order).</summary>
    public void AddRef(int block)
    {
        CheckRange(block);
        if (refCounts[block] == 0)
        {
            if (!cached.Contains(block))
            {
                throw new InvalidOperationException($"AddRef on free block {block}.");
            }
            cached.Remove(block);
            usedBlocks++;
        }
        refCounts[block]++;
        version++;
    }

    /// <summary>A cached block's content is no longer wanted (another block took over its prefix): it becomes empty.</summary>
    public void DiscardCached(int block)
    {
        CheckRange(block);
        cached.Remove(block);
        freeList.Push(block);
        version++;
    }

    /// <summary>Drops one reference; returns true when that was the last one and the block is free again
    /// (the caller must then forget it in the <see cref="PrefixBlockIndex"/>).</summary>
    public bool Release(int block) => Release(block, keepCached: false);

    /// <summary>
    /// Drops one reference; returns true when that was the last one. The freed block is then cached (its content kept
    /// for a later <see cref="AddRef"/>, newest in the eviction order) when <paramref name="keepCached"/>, else empty
    /// (and the caller must forget it in the <see cref="PrefixBlockIndex"/>).
    /// </summary>
    public bool Release(int block, bool keepCached)
    {
        CheckRange(block);
        if (refCounts[block] == 0)
        {
            throw new InvalidOperationException($"Release of free block {block}.");
        }
        if (keepCached && cachedBlockEvicted is null)
        {
            throw new InvalidOperationException("This allocator has no eviction callback, so it cannot keep cached blocks.");
        }
        version++;
        if (--refCounts[block] > 0)
        {
            return false;
        }
        if (keepCached)
        {
            cached.AddNewest(block);
        }
        else
        {
            freeList.Push(block);
        }
        usedBlocks--;
        return true;
    }

    public int RefCount(int block)
    {
        CheckRange(block);
        return refCounts[block];
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> when the free list and reference counts disagree.</summary>
    public void CheckInvariants()
    {
        if (usedBlocks + freeList.Count + cached.Count != TotalBlocks)
        {
            throw new InvalidOperationException($"used {usedBlocks} + empty {freeList.Count} + cached {cached.Count} != total {TotalBlocks}.");
        }
        var onFreeList = new bool[TotalBlocks];
        foreach (var block in freeList)
        {
            if (block < 0 || block >= TotalBlocks)
            {
                throw new InvalidOperationException($"Free list holds out-of-range block {block}.");
            }
            if (onFreeList[block])
            {
                throw new InvalidOperationException($"Block {block} is on the free list twice.");
            }
            if (cached.Contains(block))
            {
                throw new InvalidOperationException($"Block {block} is both empty and cached.");
            }
            onFreeList[block] = true;
        }
        if (cached.OldestFirst().Count != cached.Count)
        {
            throw new InvalidOperationException($"The cached-block queue lists {cached.OldestFirst().Count} blocks but counts {cached.Count}.");
        }
        for (var block = 0; block < TotalBlocks; block++)
        {
            if (refCounts[block] < 0)
            {
                throw new InvalidOperationException($"Block {block} has negative refCount {refCounts[block]}.");
            }
            var free = onFreeList[block] || cached.Contains(block);
            if ((refCounts[block] == 0) != free)
            {
                throw new InvalidOperationException(
                    $"Block {block} has refCount {refCounts[block]} but is {(free ? "" : "not ")}free (empty or cached).");
            }
        }
    }

    private void CheckRange(int block)
    {
        if ((uint)block >= (uint)TotalBlocks)
        {
            throw new ArgumentOutOfRangeException(nameof(block), block, $"Block ids are 0..{TotalBlocks - 1}.");
        }
    }
}
