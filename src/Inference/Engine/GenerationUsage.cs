using System.Diagnostics;
using System.Text.Json.Serialization;
using GqaService.Inference.Scheduling;

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
    /// <summary>The engine steps that served it, when step spans are traced (empty otherwise); its request span links to them.</summary>
    [JsonIgnore]
    public IReadOnlyList<ActivityContext> StepSpans { get; init; } = [];

    internal static GenerationUsage Of(Sequence sequence, long bytesPerBlock, DateTimeOffset now) => new()
    {
        PromptTokens = sequence.PromptLength,
        CompletionTokens = sequence.GeneratedCount,
        CachedPromptTokens = sequence.CachedPromptTokens,
        KvBlocksAllocated = sequence.BlocksAllocated,
        PeakKvBytes = sequence.PeakBlocks * bytesPerBlock,
        Preemptions = sequence.Preemptions,
        RecomputedTokens = sequence.RecomputedTokens,
        QueueTime = (sequence.FirstScheduledAt ?? now) - sequence.SubmittedAt,
        TimeToFirstToken = sequence.FirstTokenAt - sequence.SubmittedAt,
        Duration = now - sequence.SubmittedAt,
        StepSpans = sequence.StepSpans is { } spans ? [.. spans] : [],
    };
}
