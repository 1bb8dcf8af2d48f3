namespace GqaService.Inference.KvCache;

/// <summary>
/// Builds a <see cref="MemorySnapshot"/> from the cache's bookkeeping. Pure apart from reading the process's
/// working set and managed heap size. RunningSequences and WaitingRequests are the engine's to fill (<c>with</c>).
/// Not thread-safe: call it on the engine thread.
/// </summary>
public static class KvMemoryAccounting
{
    /// <summary>Snapshot over the store's sessions plus <paramref name="runningSequences"/>, priced by the pool's <paramref name="layout"/>.</summary>
    public static MemorySnapshot Snapshot(SessionStore sessions, IEnumerable<KvSequence> runningSequences, KvLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Snapshot(sessions, runningSequences, layout.BytesPerToken, layout.MhaBytesPerToken) with { KvDtype = layout.DtypeName };
    }

    /// <summary>Snapshot of bare bookkeeping, priced by <paramref name="layout"/> (its block size must be the allocator's).</summary>
    public static MemorySnapshot Snapshot(
        BlockAllocator allocator,
        KvLayout layout,
        IEnumerable<KvSequence> liveSequences,
        IReadOnlyList<SessionInfo> sessions)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Snapshot(allocator, layout.BlockSize, layout.BytesPerToken, layout.MhaBytesPerToken, liveSequences, sessions)
            with { KvDtype = layout.DtypeName };
    }

    /// <summary>Snapshot over the store's sessions plus <paramref name="runningSequences"/> (a sequence in both is counted once).</summary>
    public static MemorySnapshot Snapshot(
        SessionStore sessions,
        IEnumerable<KvSequence> runningSequences,
        long kvBytesPerToken,
        long mhaKvBytesPerToken)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(runningSequences);
        var live = sessions.Sessions.Select(s => s.Sequence).Concat(runningSequences);
        return Snapshot(
            sessions.Allocator,
            sessions.BlockSize,
            kvBytesPerToken,
            mhaKvBytesPerToken,
            live,
            sessions.List(kvBytesPerToken * sessions.BlockSize)) with { PrefixCaching = sessions.PrefixIndex.KeepsFreedBlocks };
    }

    /// <param name="liveSequences">Every sequence holding blocks; duplicates (by reference) are ignored.</param>
    public static MemorySnapshot Snapshot(
        BlockAllocator allocator,
        int blockSize,
        long kvBytesPerToken,
        long mhaKvBytesPerToken,
        IEnumerable<KvSequence> liveSequences,
        IReadOnlyList<SessionInfo> sessions)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentNullException.ThrowIfNull(liveSequences);
        ArgumentNullException.ThrowIfNull(sessions);

        // A block's used slots = the most positions any sequence keeps in it; shared prefixes count once.
        var usedSlotsByBlock = new Dictionary<int, int>();
        foreach (var sequence in liveSequences.Distinct(ReferenceEqualityComparer.Instance).Cast<KvSequence>())
        {
            for (var logical = 0; logical < sequence.Blocks.Count; logical++)
            {
                var usedSlots = Math.Clamp(sequence.Length - logical * blockSize, 0, blockSize);
                var block = sequence.Blocks[logical];
                usedSlotsByBlock[block] = Math.Max(usedSlotsByBlock.GetValueOrDefault(block), usedSlots);
            }
        }
        var tokensCached = usedSlotsByBlock.Values.Sum();

        var sharedBlocks = 0;
        for (var block = 0; block < allocator.TotalBlocks; block++)
        {
            if (allocator.RefCount(block) > 1)
            {
                sharedBlocks++;
            }
        }

        var bytesPerBlock = kvBytesPerToken * blockSize;
        return new MemorySnapshot
        {
            BlockSize = blockSize,
            BlocksTotal = allocator.TotalBlocks,
            BlocksUsed = allocator.UsedBlocks,
            BlocksFree = allocator.EmptyBlocks,
            BlocksCachedFree = allocator.CachedBlocks,
            CachedFreeBlockIds = allocator.CachedBlocksOldestFirst(),
            BytesPerBlock = bytesPerBlock,
            BytesTotal = allocator.TotalBlocks * bytesPerBlock,
            BytesUsed = allocator.UsedBlocks * bytesPerBlock,
            KvBytesPerToken = kvBytesPerToken,
            MhaKvBytesPerToken = mhaKvBytesPerToken,
            TokensCached = tokensCached,
            // Blocks in use that no listed sequence explains count as entirely fragmented.
            FragmentedSlots = allocator.UsedBlocks * blockSize - tokensCached,
            SharedBlocks = sharedBlocks,
            GqaSavedBytes = tokensCached * (mhaKvBytesPerToken - kvBytesPerToken),
            Sessions = sessions,
            ProcessWorkingSetBytes = Environment.WorkingSet,
            ManagedHeapBytes = GC.GetTotalMemory(false),
        };
    }
}
