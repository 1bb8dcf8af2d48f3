namespace GqaService.Inference.Engine.Events;

/// <summary>The names <see cref="EngineEvent.Kind"/> takes, as they appear on <c>/v1/events</c>.</summary>
public static class EngineEventKind
{
    /// <summary>A request entered the waiting queue (with the blocks it may need at most).</summary>
    public const string Queued = "queued";
    /// <summary>A waiting request joined the running batch (again, after a preemption).</summary>
    public const string Admitted = "admitted";
    /// <summary>A request was refused before it could run: queue full, no pool large enough, a duplicate id, shutting down.</summary>
    public const string Rejected = "rejected";
    /// <summary>Prompt tokens whose K/V came from a session or a shared prefix instead of being computed.</summary>
    public const string PrefixReused = "prefix_reused";
    /// <summary>One owner's blocks that went from free to used in one step.</summary>
    public const string BlocksAllocated = "blocks_allocated";
    /// <summary>One owner's blocks that went back to free in one step.</summary>
    public const string BlocksFreed = "blocks_freed";
    /// <summary>Blocks whose reference count changed while they stayed in use (prefix sharing, copy-on-write).</summary>
    public const string BlocksShared = "blocks_shared";
    public const string SessionCreated = "session_created";
    public const string SessionEvicted = "session_evicted";
    public const string SessionDeleted = "session_deleted";
    /// <summary>A running request gave its blocks back and will recompute its tokens later.</summary>
    public const string Preempted = "preempted";
    /// <summary>A request ended (any outcome), with its KV receipt.</summary>
    public const string Finished = "finished";
    /// <summary>Counters at most a few times a second: tokens generated, running/waiting, blocks used, preemptions.</summary>
    public const string Stats = "stats";
    /// <summary>This subscriber read too slowly and lost events; resynchronise from <c>/v1/kv/blocks</c>.</summary>
    public const string Dropped = "dropped";
}
