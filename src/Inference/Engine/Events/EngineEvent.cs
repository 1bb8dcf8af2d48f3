using GqaService.Inference.KvCache;

namespace GqaService.Inference.Engine.Events;

/// <summary>
/// One engine event, flat so it serialises as one small JSON object; only the fields its <see cref="Kind"/> uses are set.
/// <see cref="Sequence"/> numbers every event the hub published (from 1, no gaps), so a reader sees what it missed.
/// </summary>
public sealed record EngineEvent
{
    public long Sequence { get; init; }
    public required string Kind { get; init; }
    public DateTimeOffset Time { get; init; }
    public string? RequestId { get; init; }
    public string? SessionId { get; init; }
    /// <summary>Queued: the blocks its prompt plus max_tokens need at most. Rejected: what it asked for.</summary>
    public int? PredictedBlocks { get; init; }
    /// <summary>Prefix reused: cached prompt tokens. Preempted: tokens to recompute.</summary>
    public int? Tokens { get; init; }
    public BlockOwner? Owner { get; init; }
    /// <summary>Block events: the physical block ids, ascending.</summary>
    public IReadOnlyList<int>? Blocks { get; init; }
    /// <summary>Blocks allocated: each block's logical index in its owner's block table. Blocks shared: reference counts.</summary>
    public IReadOnlyList<int>? Values { get; init; }
    /// <summary>Preempted, session evicted/deleted: blocks given back.</summary>
    public int? BlocksReleased { get; init; }
    /// <summary>Rejected: the error code. Finished: the finish reason or error code.</summary>
    public string? Reason { get; init; }
    public GenerationUsage? Receipt { get; init; }
    /// <summary>Dropped: events this subscriber lost since the last notice.</summary>
    public long? Count { get; init; }
    public EngineStats? Stats { get; init; }
}
