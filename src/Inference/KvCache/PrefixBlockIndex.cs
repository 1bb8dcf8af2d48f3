namespace GqaService.Inference.KvCache;

/// <summary>
/// Automatic prefix caching for FULL blocks: maps a chained key (parent block, the block's blockSize token ids)
/// to the physical block holding that K/V, so sequences whose prompts start alike share blocks instead of
/// recomputing them. Only blocks currently referenced are known: whoever frees a block must <see cref="Forget"/> it
/// (<see cref="KvSequence"/> does this for you).
/// Not thread-safe: the single engine thread owns it.
/// </summary>
/// <remarks>
/// The parent key is the physical id of the previous block in the chain (<see cref="RootParent"/> for block 0).
/// That keeps the chained key exact without storing whole prefixes: a registered block's slots are never written
/// while it stays registered, and any table holding a registered block holds its parent right before it, so the
/// parent cannot be freed and reused while a child is registered. Token ids are compared exactly; the hash only
/// picks a bucket, so a hash collision can never cause false sharing.
/// At most one block is registered per key (first one wins); a duplicate with the same content stays private.
/// </remarks>
public sealed class PrefixBlockIndex
{
    /// <summary>Parent key of a sequence's first block.</summary>
    public const int RootParent = -1;

    private readonly Dictionary<int, List<int>> blocksByHash = [];
    private readonly Dictionary<int, (int ParentBlock, int[] Tokens, int Hash)> entryByBlock = [];
    private readonly int hashMask;

    public PrefixBlockIndex()
        : this(hashMask: -1)
    {
    }

    /// <summary>Tests pass a small mask (0 = every key collides) to prove lookups compare tokens exactly.</summary>
    internal PrefixBlockIndex(int hashMask)
    {
        this.hashMask = hashMask;
    }

    /// <summary>Number of registered blocks.</summary>
    public int Count => entryByBlock.Count;

    public bool Contains(int block) => entryByBlock.ContainsKey(block);

    /// <summary>
    /// Records that <paramref name="block"/> holds <paramref name="tokens"/> following <paramref name="parentBlock"/>.
    /// Returns false (and changes nothing) when that key is already registered, to this or another block.
    /// Registering a block that is already known under a different key is a bug and throws.
    /// </summary>
    public bool Register(int parentBlock, ReadOnlySpan<int> tokens, int block)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(block);
        if (entryByBlock.TryGetValue(block, out var existing))
        {
            if (existing.ParentBlock == parentBlock && tokens.SequenceEqual(existing.Tokens))
            {
                return false;
            }
            throw new InvalidOperationException($"Block {block} is already registered under another key; forget it before reusing it.");
        }
        if (TryFind(parentBlock, tokens, out _))
        {
            return false;
        }
        var hash = Hash(parentBlock, tokens);
        entryByBlock.Add(block, (parentBlock, tokens.ToArray(), hash));
        if (!blocksByHash.TryGetValue(hash, out var bucket))
        {
            bucket = [];
            blocksByHash.Add(hash, bucket);
        }
        bucket.Add(block);
        return true;
    }

    /// <summary>Finds the registered block holding exactly <paramref name="tokens"/> after <paramref name="parentBlock"/>.</summary>
    public bool TryFind(int parentBlock, ReadOnlySpan<int> tokens, out int block)
    {
        if (blocksByHash.TryGetValue(Hash(parentBlock, tokens), out var bucket))
        {
            foreach (var candidate in bucket)
            {
                var entry = entryByBlock[candidate];
                if (entry.ParentBlock == parentBlock && tokens.SequenceEqual(entry.Tokens))
                {
                    block = candidate;
                    return true;
                }
            }
        }
        block = -1;
        return false;
    }

    /// <summary>Removes <paramref name="block"/> from the index (when freed, or before its slots are overwritten); false if it was not registered.</summary>
    public bool Forget(int block)
    {
        if (!entryByBlock.Remove(block, out var entry))
        {
            return false;
        }
        var bucket = blocksByHash[entry.Hash];
        bucket.Remove(block);
        if (bucket.Count == 0)
        {
            blocksByHash.Remove(entry.Hash);
        }
        return true;
    }

    /// <summary>The key <paramref name="block"/> is registered under (for diagnostics and tests).</summary>
    public bool TryGetKey(int block, out int parentBlock, out IReadOnlyList<int> tokens)
    {
        if (entryByBlock.TryGetValue(block, out var entry))
        {
            parentBlock = entry.ParentBlock;
            tokens = entry.Tokens;
            return true;
        }
        parentBlock = RootParent;
        tokens = [];
        return false;
    }

    /// <summary>Throws when a registered block is free in <paramref name="allocator"/> or the buckets disagree with the entries.</summary>
    public void CheckInvariants(BlockAllocator allocator)
    {
        var bucketed = 0;
        foreach (var (hash, bucket) in blocksByHash)
        {
            foreach (var block in bucket)
            {
                if (!entryByBlock.TryGetValue(block, out var entry) || entry.Hash != hash)
                {
                    throw new InvalidOperationException($"Bucket {hash} lists block {block} that is not registered under it.");
                }
                bucketed++;
            }
        }
        if (bucketed != entryByBlock.Count)
        {
            throw new InvalidOperationException($"{entryByBlock.Count} registered blocks but {bucketed} bucket entries.");
        }
        foreach (var (block, entry) in entryByBlock)
        {
            if (allocator.RefCount(block) == 0)
            {
                throw new InvalidOperationException($"Registered block {block} is free.");
            }
            if (entry.ParentBlock != RootParent && allocator.RefCount(entry.ParentBlock) == 0)
            {
                throw new InvalidOperationException($"Registered block {block} chains to free parent {entry.ParentBlock}.");
            }
        }
    }

    private int Hash(int parentBlock, ReadOnlySpan<int> tokens)
    {
        var hash = new HashCode();
        hash.Add(parentBlock);
        foreach (var token in tokens)
        {
            hash.Add(token);
        }
        return hash.ToHashCode() & hashMask;
    }
}
