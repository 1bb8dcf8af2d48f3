namespace GqaService.Inference.Engine;

/// <summary>What a finished request cost: tokens, KV memory and timings.</summary>
public sealed record GenerationUsage
{
    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
    /// <summary>Prompt tokens whose KV was reused (session or shared prefix) instead of recomputed.</summary>
    public int CachedPromptTokens { get; init; }
    public int KvBlocksAllocated { get; init; }
    public long PeakKvBytes { get; init; }
    public int Preemptions { get; init; }
    public int RecomputedTokens { get; init; }
    public TimeSpan QueueTime { get; init; }
    public TimeSpan? TimeToFirstToken { get; init; }
    public TimeSpan Duration { get; init; }
}
