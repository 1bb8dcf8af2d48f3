using System.Runtime.InteropServices;

namespace GqaService.Inference.KvCache;

/// <summary>
/// One sequence's block table (logical block → physical block) and the token ids whose K/V it stores.
/// Position <c>p</c> lives in slot <see cref="SlotOf"/> = <c>Blocks[p / blockSize] * blockSize + p % blockSize</c>.
/// Not thread-safe: the single engine thread owns it.
/// </summary>
/// <remarks>
/// Engine protocol per step: <see cref="TryReserve"/> (always, even when <see cref="ReservedSlots"/> looks big
/// enough: it is what makes the receiving block private), perform the returned <see cref="BlockCopy"/>s, write the
/// new K/V into <see cref="SlotOf"/> positions <c>Length..Length+n-1</c>, then <see cref="Append"/> the token ids.
/// Invariants: <c>Blocks.Count == ceil(Length / blockSize)</c> except right after a reservation; a block that
/// receives writes has refCount 1 and is not in the prefix index; a block's slots below the highest position
/// any sharing table uses in it are never written.
/// </remarks>
public sealed class KvSequence
{
    private readonly BlockAllocator allocator;
    private readonly PrefixBlockIndex prefixIndex;
    private readonly List<int> blocks = [];
    private readonly List<int> tokens = [];
    // Reused by TryReserve so a decode step does not allocate.
    private readonly List<int> scratchBlocks = [];

    /// <param name="tenant">Whose prefixes this sequence may share and publish ("" when API keys are off).</param>
    public KvSequence(BlockAllocator allocator, PrefixBlockIndex prefixIndex, int blockSize, string tenant = "")
    {
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentNullException.ThrowIfNull(prefixIndex);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentNullException.ThrowIfNull(tenant);
        this.allocator = allocator;
        this.prefixIndex = prefixIndex;
        BlockSize = blockSize;
        Tenant = tenant;
    }

    public int BlockSize { get; }

    /// <summary>The tenant whose root its blocks chain from: it shares blocks with that tenant's sequences only.</summary>
    public string Tenant { get; }

    /// <summary>Logical block → physical block id.</summary>
    public IReadOnlyList<int> Blocks => blocks;

    /// <summary>Token ids whose K/V is stored, in position order.</summary>
    public IReadOnlyList<int> Tokens => tokens;

    public int Length => tokens.Count;
    public int ReservedBlocks => blocks.Count;
    public int ReservedSlots => blocks.Count * BlockSize;

    /// <summary>Pool slot of <paramref name="position"/>; valid for every reserved position, not just stored ones.</summary>
    public int SlotOf(int position)
    {
        if ((uint)position >= (uint)ReservedSlots)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"Only {ReservedSlots} positions are reserved.");
        }
        return blocks[position / BlockSize] * BlockSize + position % BlockSize;
    }

    /// <summary>
    /// <see cref="SlotOf"/> for every position 0..<paramref name="length"/>-1, filled block by block (a block's slots are
    /// consecutive): what a step's attention reads, built without a call per position.
    /// </summary>
    public int[] SlotsUpTo(int length)
    {
        if ((uint)length > (uint)ReservedSlots)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Only {ReservedSlots} positions are reserved.");
        }
        var slots = new int[length];
        for (var logical = 0; logical * BlockSize < length; logical++)
        {
            var first = blocks[logical] * BlockSize;
            var end = Math.Min(length, (logical + 1) * BlockSize);
            for (var position = logical * BlockSize; position < end; position++)
            {
                slots[position] = first + position % BlockSize;
            }
        }
        return slots;
    }

    /// <summary>
    /// On an empty sequence, shares (AddRef) the leading full blocks of <paramref name="prompt"/> that the prefix
    /// index knows for this tenant, live or cached, stopping at the first miss. Never the block holding the prompt's last token, so the engine
    /// always has at least one token to compute logits from. Returns the tokens reused (a multiple of blockSize).
    /// </summary>
    public int AttachSharedPrefix(IReadOnlyList<int> prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (blocks.Count != 0 || tokens.Count != 0)
        {
            throw new InvalidOperationException("AttachSharedPrefix needs an empty sequence.");
        }
        var shareableBlocks = Math.Max(0, (prompt.Count - 1) / BlockSize);
        var blockTokens = new int[BlockSize];
        var parentBlock = PrefixBlockIndex.RootParent;
        for (var logical = 0; logical < shareableBlocks; logical++)
        {
            for (var i = 0; i < BlockSize; i++)
            {
                blockTokens[i] = prompt[logical * BlockSize + i];
            }
            if (!prefixIndex.TryFind(parentBlock, blockTokens, out var block, Tenant))
            {
                break;
            }
            allocator.AddRef(block);
            blocks.Add(block);
            tokens.AddRange(blockTokens);
            parentBlock = block;
        }
        return tokens.Count;
    }

    /// <summary>Number of leading positions where the stored tokens equal <paramref name="prompt"/>.</summary>
    public int CommonPrefixLength(IReadOnlyList<int> prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var limit = Math.Min(prompt.Count, tokens.Count);
        var common = 0;
        while (common < limit && tokens[common] == prompt[common])
        {
            common++;
        }
        return common;
    }

    /// <summary>
    /// Keeps the first <paramref name="length"/> tokens and the ceil(length / blockSize) blocks holding them;
    /// releases every other block (including unused reservation). A kept partial block may still be shared or
    /// registered: the next <see cref="TryReserve"/> copies it on write or unregisters it before it is overwritten.
    /// </summary>
    public void TruncateTo(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, tokens.Count);
        tokens.RemoveRange(length, tokens.Count - length);
        ReleaseBlocksFrom(CeilDiv(length, BlockSize));
    }

    /// <summary>Blocks <see cref="TryReserve"/> would allocate for <paramref name="additionalTokens"/> more positions (pure).</summary>
    public int BlocksNeededFor(int additionalTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(additionalTokens);
        if (additionalTokens == 0)
        {
            return 0;
        }
        var appendBlocks = Math.Max(0, CeilDiv(tokens.Count + additionalTokens, BlockSize) - blocks.Count);
        return appendBlocks + (ReceivingBlockIsShared() ? 1 : 0);
    }

    /// <summary>
    /// Makes positions <c>Length..Length+newTokens-1</c> writable: allocates blocks only past the last one's
    /// capacity and, if the block receiving position <c>Length</c> is shared, replaces it by a private copy
    /// (appending a <see cref="BlockCopy"/> to <paramref name="copies"/> that the engine must perform before writing).
    /// All-or-nothing: returns false, with nothing changed, when the allocator cannot supply the blocks.
    /// </summary>
    public bool TryReserve(int newTokens, List<BlockCopy> copies)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(newTokens);
        ArgumentNullException.ThrowIfNull(copies);
        if (newTokens == 0)
        {
            return true;
        }
        scratchBlocks.Clear();
        if (!allocator.TryAllocate(BlocksNeededFor(newTokens), scratchBlocks))
        {
            return false;
        }
        var next = 0;
        var receiving = tokens.Count / BlockSize;
        if (receiving < blocks.Count)
        {
            var source = blocks[receiving];
            if (allocator.RefCount(source) > 1)
            {
                var destination = scratchBlocks[next++];
                var slotsToCopy = tokens.Count % BlockSize;
                if (slotsToCopy > 0)
                {
                    copies.Add(new BlockCopy(source, destination, slotsToCopy));
                }
                blocks[receiving] = destination;
                ReleaseAndForget(source);
            }
            else
            {
                // Private but possibly still registered with content from before a TruncateTo: its tail slots
                // are about to be overwritten, so it must stop being shareable under the old key.
                prefixIndex.Forget(source);
            }
        }
        while (next < scratchBlocks.Count)
        {
            blocks.Add(scratchBlocks[next++]);
        }
        return true;
    }

    /// <summary>
    /// Records <paramref name="newTokens"/> whose K/V the engine has written into the reserved slots. Every block
    /// that becomes full is registered in the prefix index (chained to its predecessor) so later sequences can share it.
    /// Appending beyond the reservation, or into a block that was not made private by <see cref="TryReserve"/>, throws.
    /// </summary>
    public void Append(IReadOnlyList<int> newTokens)
    {
        ArgumentNullException.ThrowIfNull(newTokens);
        if (newTokens.Count == 0)
        {
            return;
        }
        var oldLength = tokens.Count;
        var newLength = oldLength + newTokens.Count;
        if (newLength > ReservedSlots)
        {
            throw new InvalidOperationException($"Append of {newTokens.Count} tokens at length {oldLength} exceeds the {ReservedSlots} reserved slots; call TryReserve first.");
        }
        for (var logical = oldLength / BlockSize; logical < CeilDiv(newLength, BlockSize); logical++)
        {
            var block = blocks[logical];
            if (allocator.RefCount(block) != 1 || prefixIndex.Contains(block))
            {
                throw new InvalidOperationException($"Block {block} receiving new K/V is shared or registered; call TryReserve before writing.");
            }
        }
        tokens.AddRange(newTokens);
        var tokenSpan = CollectionsMarshal.AsSpan(tokens);
        for (var logical = oldLength / BlockSize; logical < newLength / BlockSize; logical++)
        {
            var parentBlock = logical == 0 ? PrefixBlockIndex.RootParent : blocks[logical - 1];
            var key = tokenSpan.Slice(logical * BlockSize, BlockSize);
            if (!prefixIndex.Register(parentBlock, key, blocks[logical], Tenant)
                && prefixIndex.TryFind(parentBlock, key, out var holder, Tenant) && holder != blocks[logical] && allocator.IsCached(holder))
            {
                // The same prefix sits in a cached block (a repeated prompt recomputes the block of its last token): this
                // copy takes over its registration, and the cached children with it, so what this sequence appends next
                // is indexed too; the cached copy is emptied.
                prefixIndex.MoveRegistration(holder, blocks[logical]);
                allocator.DiscardCached(holder);
            }
        }
    }

    /// <summary>Drops every block reference and empties the sequence; returns the blocks actually freed. Freed registered
    /// blocks stay cached when the index keeps freed blocks (last block first, so a prefix outlives its tail), else they
    /// leave the index.</summary>
    public int ReleaseAll()
    {
        tokens.Clear();
        return ReleaseBlocksFrom(0);
    }

    /// <summary>A new sequence sharing (AddRef) the blocks that hold this one's tokens; unused reservation is not shared.</summary>
    public KvSequence Fork()
    {
        var fork = new KvSequence(allocator, prefixIndex, BlockSize, Tenant);
        var usedBlocks = CeilDiv(tokens.Count, BlockSize);
        for (var logical = 0; logical < usedBlocks; logical++)
        {
            allocator.AddRef(blocks[logical]);
            fork.blocks.Add(blocks[logical]);
        }
        fork.tokens.AddRange(tokens);
        return fork;
    }

    private bool ReceivingBlockIsShared()
    {
        var receiving = tokens.Count / BlockSize;
        return receiving < blocks.Count && allocator.RefCount(blocks[receiving]) > 1;
    }

    private int ReleaseBlocksFrom(int keep)
    {
        var freed = 0;
        for (var logical = blocks.Count - 1; logical >= keep; logical--)
        {
            if (ReleaseAndForget(blocks[logical]))
            {
                freed++;
            }
        }
        blocks.RemoveRange(keep, blocks.Count - keep);
        return freed;
    }

    private bool ReleaseAndForget(int block)
    {
        var keepCached = prefixIndex.KeepsFreedBlocks && prefixIndex.Contains(block);
        if (!allocator.Release(block, keepCached))
        {
            return false;
        }
        if (!keepCached)
        {
            prefixIndex.Forget(block);
        }
        return true;
    }

    private static int CeilDiv(int value, int divisor) => (value + divisor - 1) / divisor;
}
