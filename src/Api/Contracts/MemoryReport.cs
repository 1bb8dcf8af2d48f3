namespace GqaService.Api.Contracts;

/// <summary>The KV cache at one instant: pool, fragmentation, GQA saving over MHA, sessions and process memory.</summary>
public sealed record MemoryReport
{
    /// <example>16</example>
    public int BlockSize { get; init; }
    public int BlocksTotal { get; init; }
    /// <summary>Blocks some request or session references; <c>blocks_used + blocks_cached_free + blocks_free = blocks_total</c>.</summary>
    /// <example>0</example>
    public int BlocksUsed { get; init; }
    /// <summary>Free blocks holding nothing reusable.</summary>
    public int BlocksFree { get; init; }
    /// <summary>Free blocks that still hold a finished request's prefix (automatic prefix caching): new work takes them as
    /// free ones, least recently used first, and a later prompt starting the same way reuses them.</summary>
    /// <example>0</example>
    public int BlocksCachedFree { get; init; }
    /// <summary>Whether freed blocks are kept as a prefix cache (Inference:PrefixCaching).</summary>
    public bool PrefixCaching { get; init; }
    public long BytesPerBlock { get; init; }
    public long BytesTotal { get; init; }
    public long BytesUsed { get; init; }
    public int TokensCached { get; init; }
    /// <summary>Allocated slots minus used slots, over all blocks in use.</summary>
    public int FragmentedSlots { get; init; }
    /// <summary>FragmentedSlots over the slots of the blocks in use (0 when none are).</summary>
    public double FragmentationRatio { get; init; }
    public int SharedBlocks { get; init; }
    public long KvBytesPerToken { get; init; }
    /// <summary>The element type K/V are stored in (Inference:KvDtype).</summary>
    /// <example>float32</example>
    public string KvDtype { get; init; } = "float32";
    public long MhaKvBytesPerToken { get; init; }
    /// <summary>Bytes the cached tokens would take under MHA minus what they take now.</summary>
    public long GqaSavedBytes { get; init; }
    public int RunningSequences { get; init; }
    public int WaitingRequests { get; init; }
    public required IReadOnlyList<SessionDto> Sessions { get; init; }
    public long ProcessWorkingSetBytes { get; init; }
    public long ManagedHeapBytes { get; init; }
}
