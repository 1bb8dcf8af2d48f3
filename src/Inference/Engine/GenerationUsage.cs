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
    /// <summary>Blocks this choice shares with the request's other choices, taken by forking their one prefill (0 for n = 1).</summary>
    public int ForkedBlocks { get; init; }
    /// <summary>The bytes of <see cref="ForkedBlocks"/>: counted in this choice's peak, held once for all choices.</summary>
    public long ForkedKvBytes { get; init; }
    public long PeakKvBytes { get; init; }
    public int Preemptions { get; init; }
    public int RecomputedTokens { get; init; }
    public TimeSpan QueueTime { get; init; }
    public TimeSpan? TimeToFirstToken { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>The engine steps that served it, when step spans are traced (empty otherwise); its request span links to them.</summary>
    [JsonIgnore]
    public IReadOnlyList<ActivityContext> StepSpans { get; init; } = [];

    /// <summary>
    /// The usage of a request with n choices (choice 0 first): its prompt once (prefilled once), every choice's output,
    /// blocks allocated by each, the prompt blocks the choices share, and each choice's peak with shared blocks counted once.
    /// </summary>
    public static GenerationUsage Combine(IReadOnlyList<GenerationUsage> choices)
    {
        ArgumentOutOfRangeException.ThrowIfZero(choices.Count);
        var first = choices[0];
        return first with
        {
            CompletionTokens = choices.Sum(c => c.CompletionTokens),
            KvBlocksAllocated = choices.Sum(c => c.KvBlocksAllocated),
            ForkedBlocks = choices.Max(c => c.ForkedBlocks),
            ForkedKvBytes = choices.Max(c => c.ForkedKvBytes),
            PeakKvBytes = choices.Sum(c => c.PeakKvBytes - c.ForkedKvBytes),
            Preemptions = choices.Sum(c => c.Preemptions),
            RecomputedTokens = choices.Sum(c => c.RecomputedTokens),
            TimeToFirstToken = choices.Min(c => c.TimeToFirstToken),
            Duration = choices.Max(c => c.Duration),
        };
    }

    internal static GenerationUsage Of(Sequence sequence, long bytesPerBlock, DateTimeOffset now) => new()
    {
        PromptTokens = sequence.PromptLength,
        CompletionTokens = sequence.GeneratedCount,
        CachedPromptTokens = sequence.CachedPromptTokens,
        KvBlocksAllocated = sequence.BlocksAllocated,
        ForkedBlocks = sequence.ForkedBlocks,
        ForkedKvBytes = sequence.ForkedBlocks * bytesPerBlock,
        PeakKvBytes = sequence.PeakBlocks * bytesPerBlock,
        Preemptions = sequence.Preemptions,
        RecomputedTokens = sequence.RecomputedTokens,
        QueueTime = (sequence.FirstScheduledAt ?? now) - sequence.SubmittedAt,
        TimeToFirstToken = sequence.FirstTokenAt - sequence.SubmittedAt,
        Duration = now - sequence.SubmittedAt,
        StepSpans = sequence.StepSpans is { } spans ? [.. spans] : [],
    };
}
