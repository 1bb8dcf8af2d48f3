namespace GqaService.Inference.KvCache;

/// <summary>What the KV cache holds at one instant, and what grouped-query attention saves over MHA for it.</summary>
public sealed record MemorySnapshot
{
    public int BlockSize { get; init; }
    public int BlocksTotal { get; init; }
    public int BlocksUsed { get; init; }
    public int BlocksFree { get; init; }
    public long BytesPerBlock { get; init; }
    public long BytesTotal { get; init; }
    public long BytesUsed { get; init; }
    public long KvBytesPerToken { get; init; }
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
