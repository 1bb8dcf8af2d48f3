using GqaService.Inference.KvCache;

namespace GqaService.Inference.Tests.KvCache;

/// <summary>Cross-checks allocator, prefix index, block tables and the simulated pool; throws on the first violation.</summary>
internal static class KvCacheInvariantChecker
{
    public static void Check(
        BlockAllocator allocator,
        PrefixBlockIndex index,
        SimulatedKvPool pool,
        int blockSize,
        IEnumerable<KvSequence> sequences)
    {
        allocator.CheckInvariants();
        index.CheckInvariants(allocator);

        var references = new int[allocator.TotalBlocks];
        var tenants = new string?[allocator.TotalBlocks];
        foreach (var sequence in sequences.Distinct(ReferenceEqualityComparer.Instance).Cast<KvSequence>())
        {
            var inThisTable = new HashSet<int>();
            foreach (var block in sequence.Blocks)
            {
                if (!inThisTable.Add(block))
                {
                    throw new InvalidOperationException($"Block {block} appears twice in one table [{string.Join(",", sequence.Blocks)}].");
                }
                references[block]++;
                if (tenants[block] is { } other && other != sequence.Tenant)
                {
                    throw new InvalidOperationException($"Block {block} is shared by tenants '{other}' and '{sequence.Tenant}'.");
                }
                tenants[block] = sequence.Tenant;
            }
            if (sequence.ReservedSlots < sequence.Length || sequence.ReservedSlots - sequence.Length >= blockSize)
            {
                throw new InvalidOperationException($"Table of {sequence.ReservedBlocks} blocks does not tightly cover length {sequence.Length}.");
            }
            if (pool.FindCorruption(sequence) is { } corruption)
            {
                throw new InvalidOperationException($"K/V corruption: {corruption}.");
            }
            CheckRegisteredBlocksChain(index, sequence);
        }
        for (var block = 0; block < allocator.TotalBlocks; block++)
        {
            if (allocator.RefCount(block) != references[block])
            {
                throw new InvalidOperationException($"Block {block} has refCount {allocator.RefCount(block)} but {references[block]} table references.");
            }
            if (index.TryGetKey(block, out _, out var keyTokens))
            {
                for (var i = 0; i < blockSize; i++)
                {
                    if (pool[block * blockSize + i] != keyTokens[i])
                    {
                        throw new InvalidOperationException($"Registered block {block} slot {i} holds {pool[block * blockSize + i]}, key says {keyTokens[i]}.");
                    }
                }
            }
        }
    }

    // The index's exactness rests on this: a table holding a registered block holds that block's parent right before it.
    private static void CheckRegisteredBlocksChain(PrefixBlockIndex index, KvSequence sequence)
    {
        for (var logical = 0; logical < sequence.Blocks.Count; logical++)
        {
            if (index.TryGetKey(sequence.Blocks[logical], out var parent, out _))
            {
                var expectedParent = logical == 0 ? PrefixBlockIndex.RootParent : sequence.Blocks[logical - 1];
                if (parent != expectedParent)
                {
                    throw new InvalidOperationException($"Registered block {sequence.Blocks[logical]} chains to {parent} but follows {expectedParent} in a table.");
                }
            }
        }
    }
}
