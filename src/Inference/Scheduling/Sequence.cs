using System.Diagnostics;
using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;

namespace GqaService.Inference.Scheduling;

/// <summary>
/// A request's mutable progress, owned by the engine thread alone (not thread-safe). <see cref="Tokens"/> holds the
/// prompt and every generated token; the KV sequence holds K/V for a prefix of them. Whatever lies beyond that prefix is
/// what the next steps must compute: the whole prompt at first (in chunks), then one sampled token per step, or
/// everything again after a preemption.
/// </summary>
public sealed class Sequence(GenerationRequest request, long arrivalOrder, DateTimeOffset submittedAt)
{
    private readonly List<int> _tokens = [.. request.PromptTokenIds];

    public GenerationRequest Request { get; } = request;
    public long ArrivalOrder { get; } = arrivalOrder;
    public SequenceStatus Status { get; set; } = SequenceStatus.Waiting;
    public KvSequence? Kv { get; set; }
    public Session? Session { get; set; }

    public IReadOnlyList<int> Tokens => _tokens;
    public int PromptLength => Request.PromptTokenIds.Count;
    public int GeneratedCount => _tokens.Count - PromptLength;
    public int ComputedCount => Kv?.Length ?? 0;
    public int PendingCount => _tokens.Count - ComputedCount;
    public bool IsDecoding => GeneratedCount > 0 && PendingCount == 1;
    public bool CancelRequested { get; set; }

    public int CachedPromptTokens { get; set; }
    public int Preemptions { get; set; }
    public int RecomputedTokens { get; set; }
    /// <summary>What the latest preemption gave back: blocks freed, and computed tokens to compute again.</summary>
    public int LastPreemptionBlocks { get; set; }
    public int LastPreemptionTokens { get; set; }
    public int PeakBlocks { get; set; }
    public int BlocksAllocated { get; set; }
    /// <summary>
    /// Choices that will fork from this sequence's prompt once it is computed (n - 1 for a request with n choices, until
    /// they fork): each will need blocks of its own for its output, which admission counts before starting the prompt.
    /// </summary>
    public int PendingForks { get; set; }
    /// <summary>Blocks this sequence took by forking another choice's prompt (shared, not allocated).</summary>
    public int ForkedBlocks { get; set; }
    /// <summary>The traced steps that computed for it (when step spans are on), for its request span to link to.</summary>
    public List<ActivityContext>? StepSpans { get; set; }

    public DateTimeOffset SubmittedAt { get; } = submittedAt;
    public DateTimeOffset? FirstScheduledAt { get; set; }
    public DateTimeOffset? FirstTokenAt { get; set; }
    public DateTimeOffset? LastTokenAt { get; set; }

    /// <summary>Scoring requests: positions below this have been scored (a preempted sequence recomputes them without scoring twice).</summary>
    public int ScoredThrough { get; set; }
    public int ScoredTokens { get; set; }
    public double ScoredNegativeLogLikelihood { get; set; }

    public void AppendGenerated(int token) => _tokens.Add(token);
}
