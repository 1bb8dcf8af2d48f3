using GqaService.Inference.Engine.Events;
using GqaService.Inference.KvCache;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>
/// One engine step, the way vLLM's <c>step()</c> reads: schedule, execute, process outputs; then publish. Deadlines and
/// idle sessions are settled first so the schedule never includes a request that is already over. Engine thread only.
/// </summary>
internal sealed class StepCore(Scheduler scheduler, IStepRunner runner, RequestRegistry requests, OutputProcessor outputs,
    SnapshotPublisher publisher, EngineEventRecorder events, EngineMetrics metrics, StepTracing? tracing = null)
{
    public void Step()
    {
        using var span = tracing?.Start();
        requests.ExpireDeadlines();
        requests.SweepIdleSessions();
        var batch = scheduler.Schedule();
        requests.OnScheduled(batch);
        span?.Describe(batch);
        var sampled = 0;
        if (!batch.IsEmpty)
        {
            var sampling = outputs.PlanSampling(batch);
            var output = runner.Execute(batch, sampling);
            metrics.RecordStep(batch.Work.Count, batch.TokenCount);
            outputs.Process(batch, sampling, output);
            sampled = sampling.Count;
            events.OnStep(sampled);
        }
        Publish();
        span?.Complete(sampled);
    }

    /// <summary>
    /// Publishes the step's engine events and the memory snapshot, then the final events, so a client that sees its request
    /// end also sees its blocks freed (in the snapshot and on the event stream).
    /// </summary>
    public void Publish()
    {
        events.Observe();
        if (publisher.TryPublish(force: requests.HasFinalEvents || requests.Count == 0))
        {
            requests.DeliverFinalEvents();
        }
    }
}
