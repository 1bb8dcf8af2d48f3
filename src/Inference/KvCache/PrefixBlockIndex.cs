namespace GqaService.Inference.KvCache;

/// <summary>
/// Automatic prefix caching for FULL blocks: maps a chained key (tenant, parent block, the block's blockSize token ids)
/// to the physical block holding that K/V, so sequences whose prompts start alike share blocks instead of recomputing
/// them. With <see cref="KeepsFreedBlocks"/> a block stays indexed after its last reference is dropped (cached, reference
/// count zero, in the <see cref="BlockAllocator"/>'s eviction order) until allocation evicts it; otherwise whoever frees a
/// block must <see cref="Forget"/> it (<see cref="KvSequence"/> does both for you).
/// Not thread-safe: the single engine thread owns it.
/// </summary>
/// <remarks>
/// Every registration gets a serial number that is never reused, and a block's key names its parent by that serial
/// (the tenant's root for block 0). A cached parent can be evicted and its physical block reused while a cached child is
/// still indexed: the child then names a serial that no longer exists, so it can never be found again (an orphan, evicted
/// in its turn) and a hash collision or a reused block id can never cause false sharing. Token ids and tenants are
/// compared exactly; the hash only picks a bucket. The tenant is part of the root, so tenants never share a block.
/// At most one block is registered per key (first one wins); a live duplicate with the same content stays private, and so
/// do the blocks after it (a child is registered only under a registered parent). When the registered one is cached,
/// <see cref="KvSequence"/> moves the registration to the live copy instead (<see cref="MoveRegistration"/>).
/// </remarks>
public sealed class PrefixBlockIndex
{
    /// <summary>Parent key of a sequence's first block.</summary>
    public const int RootParent = -1;

    /// <summary>What <see cref="TryGetKey"/> names as the parent of a block whose parent registration is gone.</summary>
    public const int OrphanParent = -2;

    private readonly Dictionary<int, List<int>> blocksByHash = [];
    private readonly Dictionary<int, PrefixBlockEntry> entryByBlock = [];
    private readonly Dictionary<long, int> blockBySerial = [];
    private readonly int hashMask;
    private long nextSerial;

    public PrefixBlockIndex()
        : this(keepFreedBlocks: false)
    {
    }

    /// <param name="keepFreedBlocks">Keep blocks indexed after their last reference (automatic prefix caching); the
    /// allocator must then be built with <see cref="Forget"/> as its eviction callback.</param>
    public PrefixBlockIndex(bool keepFreedBlocks)
        : this(hashMask: -1, keepFreedBlocks)
    {
    }

    /// <summary>Tests pass a small mask (0 = every key collides) to prove lookups compare tokens exactly.</summary>
    internal PrefixBlockIndex(int hashMask, bool keepFreedBlocks = false)
    {
        this.hashMask = hashMask;
        KeepsFreedBlocks = keepFreedBlocks;
    }

    /// <summary>Freed registered blocks stay cached for later requests (Inference:PrefixCaching).</summary>
    public bool KeepsFreedBlocks { get; }

    /// <summary>Number of registered blocks (referenced or cached).</summary>
    public int Count => entryByBlock.Count;

    public bool Contains(int block) => entryByBlock.ContainsKey(block);

    /// <summary>
    /// Records that <paramref name="block"/> holds <paramref name="tokens"/> following <paramref name="parentBlock"/> for
    /// <paramref name="tenant"/>. Returns false (and changes nothing) when that key is already registered, to this or
    /// another block, or when the parent is not registered (so the key could never be reached).
    /// Registering a block that is already known under a different key, or under another tenant's parent, is a bug and throws.
    /// </summary>
    public bool Register(int parentBlock, ReadOnlySpan<int> tokens, int block, string tenant = "")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(block);
        ArgumentNullException.ThrowIfNull(tenant);
        if (!TryParentSerial(parentBlock, tenant, out var parentSerial))
        {
            return false;
        }
        if (entryByBlock.TryGetValue(block, out var existing))
        {
            if (existing.ParentSerial == parentSerial && existing.Tenant == tenant && tokens.SequenceEqual(existing.Tokens))
            {
                return false;
            }
            throw new InvalidOperationException($"Block {block} is already registered under another key; forget it before reusing it.");
        }
        var hash = Hash(parentSerial, tenant, tokens);
        if (Find(hash, parentSerial, tenant, tokens) >= 0)
        {
            return false;
        }
        var serial = nextSerial++;
        entryByBlock.Add(block, new PrefixBlockEntry(serial, parentSerial, tenant, tokens.ToArray(), hash));
        blockBySerial.Add(serial, block);
        if (!blocksByHash.TryGetValue(hash, out var bucket))
        {
            bucket = [];
            blocksByHash.Add(hash, bucket);
        }
        bucket.Add(block);
        return true;
    }

    /// <summary>Finds the registered block holding exactly <paramref name="tokens"/> after <paramref name="parentBlock"/>
    /// for <paramref name="tenant"/>.</summary>
    public bool TryFind(int parentBlock, ReadOnlySpan<int> tokens, out int block, string tenant = "")
    {
        ArgumentNullException.ThrowIfNull(tenant);
        block = TryParentSerial(parentBlock, tenant, out var parentSerial)
            ? Find(Hash(parentSerial, tenant, tokens), parentSerial, tenant, tokens)
            : -1;
        return block >= 0;
    }

    /// <summary>Removes <paramref name="block"/> from the index (when freed, evicted, or before its slots are
    /// overwritten); false if it was not registered. Blocks registered under it become unreachable.</summary>
    public bool Forget(int block)
    {
        if (!entryByBlock.Remove(block, out var entry))
        {
            return false;
        }
        blockBySerial.Remove(entry.Serial);
        var bucket = blocksByHash[entry.Hash];
        bucket.Remove(block);
        if (bucket.Count == 0)
        {
            blocksByHash.Remove(entry.Hash);
        }
        return true;
    }

    /// <summary>
    /// Moves <paramref name="from"/>'s registration (key and serial, so the blocks registered under it follow) to
    /// <paramref name="to"/>, an unregistered block the caller has filled with the same content.
    /// </summary>
    public void MoveRegistration(int from, int to)
    {
        if (entryByBlock.ContainsKey(to))
        {
            throw new InvalidOperationException($"Block {to} is already registered.");
        }
        if (!entryByBlock.Remove(from, out var entry))
        {
            throw new InvalidOperationException($"Block {from} is not registered.");
        }
        entryByBlock.Add(to, entry);
        blockBySerial[entry.Serial] = to;
        var bucket = blocksByHash[entry.Hash];
        bucket[bucket.IndexOf(from)] = to;
    }

    /// <summary>The key <paramref name="block"/> is registered under (for diagnostics and tests): the block now holding its
    /// parent's registration (<see cref="RootParent"/> for a first block, <see cref="OrphanParent"/> when that is gone).</summary>
    public bool TryGetKey(int block, out int parentBlock, out IReadOnlyList<int> tokens)
    {
        if (entryByBlock.TryGetValue(block, out var entry))
        {
            parentBlock = ParentBlockOf(entry);
            tokens = entry.Tokens;
            return true;
        }
        parentBlock = RootParent;
        tokens = [];
        return false;
    }

    /// <summary>
    /// Throws when the buckets disagree with the entries, a registered block is empty in <paramref name="allocator"/>, a
    /// cached block is not registered, or a referenced block's parent is no longer the registration it was keyed under.
    /// </summary>
    public void CheckInvariants(BlockAllocator allocator)
    {
        ArgumentNullException.ThrowIfNull(allocator);
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
        if (bucketed != entryByBlock.Count || blockBySerial.Count != entryByBlock.Count
            || blockBySerial.Any(pair => !entryByBlock.TryGetValue(pair.Value, out var held) || held.Serial != pair.Key))
        {
            throw new InvalidOperationException($"{entryByBlock.Count} registered blocks but {bucketed} bucket entries and {blockBySerial.Count} serials, or a serial names the wrong block.");
        }
        foreach (var (block, entry) in entryByBlock)
        {
            var referenced = allocator.RefCount(block) > 0;
            if (!referenced && !allocator.IsCached(block))
            {
                throw new InvalidOperationException($"Registered block {block} is free and not cached.");
            }
            if (!referenced && !KeepsFreedBlocks)
            {
                throw new InvalidOperationException($"Block {block} is cached although freed blocks are not kept.");
            }
            // A table holding a registered block holds its parent right before it, so a referenced block's parent is alive.
            var parentBlock = ParentBlockOf(entry);
            if (referenced && parentBlock != RootParent && (parentBlock == OrphanParent || allocator.RefCount(parentBlock) == 0))
            {
                throw new InvalidOperationException($"Referenced block {block} chains to a parent registration that is gone or unreferenced ({parentBlock}).");
            }
        }
        for (var block = 0; block < allocator.TotalBlocks; block++)
        {
            if (allocator.IsCached(block) && !entryByBlock.ContainsKey(block))
            {
                throw new InvalidOperationException($"Cached block {block} is not registered: nothing could ever hit it.");
            }
        }
    }

    private int ParentBlockOf(PrefixBlockEntry entry) =>
        entry.ParentSerial == RootParent ? RootParent : blockBySerial.GetValueOrDefault(entry.ParentSerial, OrphanParent);

    private bool TryParentSerial(int parentBlock, string tenant, out long parentSerial)
    {
        parentSerial = RootParent;
        if (parentBlock == RootParent)
        {
            return true;
        }
        if (!entryByBlock.TryGetValue(parentBlock, out var parent))
        {
            return false;
        }
        if (parent.Tenant != tenant)
        {
            throw new InvalidOperationException($"Block {parentBlock} belongs to another tenant; a chain never crosses tenants.");
        }
        parentSerial = parent.Serial;
        return true;
    }

    private int Find(int hash, long parentSerial, string tenant, ReadOnlySpan<int> tokens)
    {
        if (blocksByHash.TryGetValue(hash, out var bucket))
        {
            foreach (var candidate in bucket)
            {
                var entry = entryByBlock[candidate];
                if (entry.ParentSerial == parentSerial && entry.Tenant == tenant && tokens.SequenceEqual(entry.Tokens))
                {
                    return candidate;
                }
            }
        }
        return -1;
    }

    private int Hash(long parentSerial, string tenant, ReadOnlySpan<int> tokens)
    {
        var hash = new HashCode();
        hash.Add(parentSerial);
        hash.Add(tenant, StringComparer.Ordinal);
        foreach (var token in tokens)
        {
            hash.Add(token);
        }
        return hash.ToHashCode() & hashMask;
    }
}
