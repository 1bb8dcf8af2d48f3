namespace GqaService.Inference.KvCache;

/// <summary>What the KV cache holds at one instant, and what grouped-query attention saves over MHA for it.</summary>
public sealed record MemorySnapshot
{
    public int BlockSize { get; init; }
    public int BlocksTotal { get; init; }
    /// <summary>Blocks some sequence references. <c>BlocksUsed + BlocksCachedFree + BlocksFree == BlocksTotal</c>.</summary>
    public int BlocksUsed { get; init; }
    /// <summary>Free blocks holding nothing reusable.</summary>
    public int BlocksFree { get; init; }
    /// <summary>Free blocks (reference count zero) that still hold a finished request's prefix; new work takes them like
    /// free ones, evicting the least recently used first.</summary>
    public int BlocksCachedFree { get; init; }
    /// <summary>The cached-free blocks, the next to be evicted first.</summary>
    public IReadOnlyList<int> CachedFreeBlockIds { get; init; } = [];
    /// <summary>Inference:PrefixCaching: freed blocks are kept as cache.</summary>
    public bool PrefixCaching { get; init; }
    public long BytesPerBlock { get; init; }
    public long BytesTotal { get; init; }
    public long BytesUsed { get; init; }
    public long KvBytesPerToken { get; init; }
    /// <summary>The element type K/V are stored in (<see cref="KvLayout.DtypeName"/>).</summary>
    public string KvDtype { get; init; } = "float32";
    public long MhaKvBytesPerToken { get; init; }
    /// <summary>Token positions holding K/V now (shared blocks counted once).</summary>
    public int TokensCached { get; init; }
    /// <summary>Allocated slots minus used slots, over all blocks in use.</summary>
    public int FragmentedSlots { get; init; }
    /// <summary>Blocks referenced by more than one sequence.</summary>
    public int SharedBlocks { get; init; }
    /// <summary>Bytes the cached tokens would take under MHA minus what they take now.</summary>
    public long GqaSavedBytes { get; init; }
    public int RunningSequences { get; init; }
    public int WaitingRequests { get; init; }
    public IReadOnlyList<SessionInfo> Sessions { get; init; } = [];
    public long ProcessWorkingSetBytes { get; init; }
    public long ManagedHeapBytes { get; init; }
}
