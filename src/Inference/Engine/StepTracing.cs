using System.Diagnostics;
using GqaService.Inference.KvCache;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>
/// One OpenTelemetry span per engine step (ActivitySource <c>GqaService.Engine</c>, span <c>engine.step</c>): a root span,
/// since a step serves many requests; each request instead remembers the steps that served it (up to
/// <see cref="MaxLinksPerRequest"/>) and its own span links to them. Costs nothing when no listener samples the source.
/// Engine thread only (the source itself is thread-safe).
/// </summary>
internal sealed class StepTracing(BlockAllocator allocator)
{
    public const string SourceName = "GqaService.Engine";
    public const int MaxLinksPerRequest = 256;
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Null when nobody listens.</summary>
    public StepSpan? Start()
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        // The engine thread inherited the starter's execution context; a step belongs to no request, so it has no parent.
        Activity.Current = null;
        return Source.StartActivity("engine.step", ActivityKind.Internal, parentContext: default) is { } activity ? new StepSpan(activity, allocator) : null;
    }

    internal sealed class StepSpan(Activity activity, BlockAllocator allocator) : IDisposable
    {
        /// <summary>What the step will compute, read before it runs (a decode row is one token of a sequence already generating).</summary>
        public void Describe(ScheduledBatch batch)
        {
            var prefillTokens = 0;
            var decodeRows = 0;
            foreach (var (sequence, count) in batch.Work)
            {
                if (sequence.IsDecoding)
                {
                    decodeRows++;
                }
                else
                {
                    prefillTokens += count;
                }
                var links = sequence.StepSpans ??= [];
                if (links.Count < MaxLinksPerRequest)
                {
                    links.Add(activity.Context);
                }
            }
            activity.SetTag("gqa.batch_size", batch.Work.Count);
            activity.SetTag("gqa.prefill_tokens", prefillTokens);
            activity.SetTag("gqa.decode_rows", decodeRows);
            activity.SetTag("gqa.preempted", batch.Preempted.Count);
        }

        public void Complete(int sampledRows)
        {
            activity.SetTag("gqa.sampled_rows", sampledRows);
            activity.SetTag("gqa.kv_blocks_used", allocator.UsedBlocks);
        }

        public void Dispose() => activity.Dispose();
    }
}
