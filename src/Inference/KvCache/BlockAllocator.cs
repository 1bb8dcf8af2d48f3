namespace GqaService.Inference.KvCache;

/// <summary>
/// Hands out the physical KV blocks <c>0..TotalBlocks-1</c> of the paged pool and counts references to them,
/// so a block can be shared by several block tables (prefix sharing, forks) and is freed with its last reference.
/// Running out of blocks is an ordinary condition (the <c>TryAllocate</c> methods return false); releasing or
/// re-referencing a free block is a bookkeeping bug and throws.
/// Not thread-safe: the single engine thread owns it.
/// </summary>
public sealed class BlockAllocator
{
    // Invariant: refCounts[b] == 0 exactly for the blocks on freeList; usedBlocks + freeList.Count == TotalBlocks.
    private readonly int[] refCounts;
    private readonly Stack<int> freeList;
    private int usedBlocks;

    public BlockAllocator(int totalBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalBlocks);
        refCounts = new int[totalBlocks];
        freeList = new Stack<int>(totalBlocks);
        // Pushed in reverse so a fresh allocator hands out 0, 1, 2, ... (predictable slots in tests and logs).
        for (var block = totalBlocks - 1; block >= 0; block--)
        {
            freeList.Push(block);
        }
    }

    public int TotalBlocks => refCounts.Length;
    public int FreeBlocks => freeList.Count;
    public int UsedBlocks => usedBlocks;

    /// <summary>Takes one free block with refCount 1; false (block = -1) when none is free.</summary>
    public bool TryAllocate(out int block)
    {
        if (!freeList.TryPop(out block))
        {
            block = -1;
            return false;
        }
        if (refCounts[block] != 0)
        {
            throw new InvalidOperationException($"Free list held block {block} with refCount {refCounts[block]}.");
        }
        refCounts[block] = 1;
        usedBlocks++;
        return true;
    }

    /// <summary>All-or-nothing: appends <paramref name="count"/> fresh blocks to <paramref name="into"/>, or changes nothing and returns false.</summary>
    public bool TryAllocate(int count, List<int> into)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(into);
        if (count > freeList.Count)
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

    /// <summary>One more table references <paramref name="block"/>; it must already be in use.</summary>
    public void AddRef(int block)
    {
        CheckRange(block);
        if (refCounts[block] == 0)
        {
            throw new InvalidOperationException($"AddRef on free block {block}.");
        }
        refCounts[block]++;
    }

    /// <summary>Drops one reference; returns true when that was the last one and the block is free again
    /// (the caller must then forget it in the <see cref="PrefixBlockIndex"/>).</summary>
    public bool Release(int block)
    {
        CheckRange(block);
        if (refCounts[block] == 0)
        {
            throw new InvalidOperationException($"Release of free block {block}.");
        }
        if (--refCounts[block] > 0)
        {
            return false;
        }
        freeList.Push(block);
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
        if (usedBlocks + freeList.Count != TotalBlocks)
        {
            throw new InvalidOperationException($"used {usedBlocks} + free {freeList.Count} != total {TotalBlocks}.");
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
            onFreeList[block] = true;
        }
        for (var block = 0; block < TotalBlocks; block++)
        {
            if (refCounts[block] < 0)
            {
                throw new InvalidOperationException($"Block {block} has negative refCount {refCounts[block]}.");
            }
            if ((refCounts[block] == 0) != onFreeList[block])
            {
                throw new InvalidOperationException(
                    $"Block {block} has refCount {refCounts[block]} but is {(onFreeList[block] ? "" : "not ")}on the free list.");
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
