using GqaService.Inference.KvCache;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>
/// Publishes the KV memory snapshot HTTP threads read. A snapshot costs more than a small model's step, so while tokens
/// merely flow it is refreshed at most every 50 ms; a forced one (a request ended, the engine went idle) goes out at once.
/// </summary>
internal sealed class SnapshotPublisher(Scheduler scheduler, SessionStore sessions, KvLayout layout, EngineMetrics metrics, TimeProvider time)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private long _last;
    private bool _published;

    /// <summary>True when a snapshot went out.</summary>
    public bool TryPublish(bool force)
    {
        if (!force && _published && time.GetElapsedTime(_last) < Interval)
        {
            return false;
        }
        _last = time.GetTimestamp();
        _published = true;
        var live = scheduler.Running.Concat(scheduler.Waiting).Where(s => s.Kv is not null).Select(s => s.Kv!);
        metrics.Publish(KvMemoryAccounting.Snapshot(sessions, live, layout)
            with { RunningSequences = scheduler.Running.Count, WaitingRequests = scheduler.Waiting.Count });
        return true;
    }
}
