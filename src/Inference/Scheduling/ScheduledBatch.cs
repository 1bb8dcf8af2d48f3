using GqaService.Inference.KvCache;

namespace GqaService.Inference.Scheduling;

/// <summary>A step's decision, in integers: what to compute, which blocks to copy first (copy-on-write), who was preempted or cannot run.</summary>
public sealed record ScheduledBatch(
    IReadOnlyList<ScheduledWork> Work,
    IReadOnlyList<BlockCopy> Copies,
    IReadOnlyList<Sequence> Preempted,
    IReadOnlyList<Sequence> Unservable)
{
    public bool IsEmpty => Work.Count == 0;
    public int TokenCount => Work.Sum(w => w.TokenCount);
}
