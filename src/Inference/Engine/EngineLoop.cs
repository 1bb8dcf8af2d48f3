using System.Diagnostics;
using System.Threading.Channels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using GqaService.Inference.Scheduling;
using Microsoft.Extensions.Logging;

namespace GqaService.Inference.Engine;

/// <summary>
/// The dedicated engine thread's body: drain commands, schedule, run one forward, sample, deliver, retire; repeat.
/// Synchronous by design (TorchSharp's dispose scopes and grad modes are thread-local). Nothing here is thread-safe:
/// other threads reach it only through the command channel and the published snapshot.
/// </summary>
internal sealed class EngineLoop(EngineParts parts, ChannelReader<EngineCommand> commands, EngineMetrics metrics, ILogger logger, Action<ActiveRequest> requestCompleted)
{
    private readonly Dictionary<string, ActiveRequest> _active = [];
    private readonly List<(ActiveRequest Request, GenerationEvent Event)> _finalEvents = [];
    private long _lastIdleSweep = Stopwatch.GetTimestamp();
    private long _lastPublish;
    private static readonly TimeSpan PublishInterval = TimeSpan.FromMilliseconds(50);

    public int ActiveCount => _active.Count;

    /// <summary>Publishes the empty pool's snapshot, so readers never see an unset one once the engine is ready.</summary>
    public void PublishInitialSnapshot() => Publish();

    /// <summary>Runs until <paramref name="stop"/> fires and in-flight work drains (or <paramref name="drainTimeout"/> passes).</summary>
    public void Run(CancellationToken stop, TimeSpan drainTimeout)
    {
        DateTimeOffset? drainDeadline = null;
        while (true)
        {
            DrainCommands();
            if (stop.IsCancellationRequested)
            {
                drainDeadline ??= DateTimeOffset.UtcNow + drainTimeout;
                if (_active.Count == 0 || DateTimeOffset.UtcNow > drainDeadline)
                {
                    break;
                }
            }
            StepOrFailInFlight();
            if (_active.Count == 0 && !stop.IsCancellationRequested)
            {
                WaitForCommand(stop);
            }
        }
        foreach (var request in _active.Values.ToList())
        {
            Fail(request, "shutting_down", "The service is shutting down.");
        }
        Publish();
    }

    /// <summary>After the loop itself failed: every request still known, and any that arrive late, end with an error.</summary>
    public void Abandon(string code, string message)
    {
        foreach (var request in _active.Values.ToList())
        {
            _active.Remove(request.Id);
            Report(request, code, message);
        }
        RefuseLateCommands();
    }

    /// <summary>
    /// After <see cref="Run"/>, once the command channel is closed: a request that slipped in while the engine stopped is
    /// told so, never left waiting.
    /// </summary>
    public void RefuseLateCommands()
    {
        while (commands.TryRead(out var command))
        {
            switch (command)
            {
                case SubmitCommand submit:
                    Report(submit.Request, "shutting_down", "The service is shutting down.");
                    break;
                case DeleteSessionCommand delete:
                    DeleteSession(delete);
                    break;
            }
        }
        Publish();
    }

    /// <summary>
    /// One bad step (a libtorch error, a bug) ends the requests in flight with an error and frees their blocks; the loop,
    /// and every later request, carries on.
    /// </summary>
    private void StepOrFailInFlight()
    {
        try
        {
            Step();
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Engine step failed; failing the {Count} requests in flight", _active.Count);
            foreach (var request in _active.Values.ToList())
            {
                Fail(request, "engine_failed", "The engine failed while generating; see the service log.");
            }
            Publish();
        }
    }

    private void Step()
    {
        ExpireDeadlines();
        SweepIdleSessions();
        var batch = parts.Scheduler.Schedule();
        foreach (var preempted in batch.Preempted)
        {
            metrics.RecordPreemption();
            logger.LogDebug("Preempted {RequestId} after {Tokens} computed tokens", preempted.Request.RequestId, preempted.RecomputedTokens);
        }
        foreach (var unservable in batch.Unservable)
        {
            Fail(_active[unservable.Request.RequestId], "kv_cache_exhausted",
                $"The request needs more KV blocks than the whole pool holds ({parts.Allocator.TotalBlocks} blocks of {parts.BlockSize} tokens).");
        }
        if (!batch.IsEmpty)
        {
            var logits = parts.Runner.Run(batch);
            metrics.RecordStep(batch.Work.Count, batch.TokenCount);
            for (var i = 0; i < batch.Work.Count; i++)
            {
                var sequence = batch.Work[i].Sequence;
                if (sequence.PendingCount == 0)
                {
                    OnLogits(_active[sequence.Request.RequestId], logits.Row(i));
                }
            }
        }
        Publish();
    }

    private void OnLogits(ActiveRequest request, ReadOnlySpan<float> logits)
    {
        var sequence = request.Sequence;
        var token = request.Picker.Pick(logits);
        var now = DateTimeOffset.UtcNow;
        var spec = sequence.Request;
        if (sequence.FirstTokenAt is null)
        {
            sequence.FirstTokenAt = now;
            metrics.RecordFirstToken(now - sequence.SubmittedAt);
            metrics.RecordQueueTime((sequence.FirstScheduledAt ?? now) - sequence.SubmittedAt);
        }
        var isEos = !spec.IgnoreEos && token == parts.EosTokenId;
        if (isEos || spec.StopTokenIds.Contains(token))
        {
            Finish(request, FinishReason.Stop, request.Text?.Flush() ?? "");
            return;
        }
        metrics.RecordToken(sequence.LastTokenAt is { } previous ? now - previous : null);
        sequence.LastTokenAt = now;
        sequence.AppendGenerated(token);
        var delta = request.Text?.Push(token) ?? new OutputDelta("", false);
        request.Events.TryWrite(new TokenGenerated(token, delta.Text));
        if (delta.StopSequenceHit)
        {
            Finish(request, FinishReason.Stop, "");
        }
        else if (sequence.GeneratedCount >= spec.MaxTokens || sequence.Tokens.Count >= parts.MaxContext)
        {
            Finish(request, FinishReason.Length, request.Text?.Flush() ?? "");
        }
    }

    private void DrainCommands()
    {
        while (commands.TryRead(out var command))
        {
            switch (command)
            {
                case SubmitCommand submit:
                    Admit(submit.Request);
                    break;
                case CancelCommand cancel when _active.TryGetValue(cancel.Request.Id, out var request) && ReferenceEquals(request, cancel.Request):
                    Finish(request, FinishReason.Cancelled, "");
                    break;
                case DeleteSessionCommand delete:
                    DeleteSession(delete);
                    break;
            }
        }
    }

    private void Admit(ActiveRequest request)
    {
        if (_active.ContainsKey(request.Id))
        {
            Report(request, "duplicate_request_id", $"A request with id '{request.Id}' is already in flight.");
            return;
        }
        var sequence = request.Sequence;
        var prompt = sequence.Request.PromptTokenIds;
        if (sequence.Request.SessionId is { } sessionId)
        {
            var session = parts.Sessions.GetOrCreate(sessionId);
            parts.Sessions.MarkActive(session);
            sequence.Session = session;
            sequence.Kv = session.Sequence;
            // At least the last prompt token is recomputed: its logits pick the first new token.
            var keep = Math.Min(sequence.Kv.CommonPrefixLength(prompt), prompt.Count - 1);
            sequence.Kv.TruncateTo(keep);
            sequence.CachedPromptTokens = keep > 0 ? keep : sequence.Kv.AttachSharedPrefix(prompt);
        }
        else
        {
            sequence.Kv = new KvSequence(parts.Allocator, parts.PrefixIndex, parts.BlockSize);
            sequence.CachedPromptTokens = sequence.Kv.AttachSharedPrefix(prompt);
        }
        metrics.RecordAdmission(prompt.Count, sequence.CachedPromptTokens);
        _active.Add(request.Id, request);
        parts.Scheduler.Enqueue(sequence);
    }

    private void DeleteSession(DeleteSessionCommand delete)
    {
        try
        {
            delete.Done.TrySetResult(parts.Sessions.Remove(delete.SessionId));
        }
        catch (Exception exception)
        {
            delete.Done.TrySetException(exception);
        }
    }

    private void ExpireDeadlines()
    {
        if (_active.Count == 0)
        {
            return;
        }
        var now = DateTimeOffset.UtcNow;
        foreach (var request in _active.Values.Where(r => r.Sequence.Request.Deadline < now).ToList())
        {
            var started = request.Sequence.FirstTokenAt is not null;
            Fail(request, "deadline_exceeded", started
                ? "The request passed its deadline while generating."
                : "The request passed its deadline before it could start.");
        }
    }

    private void SweepIdleSessions()
    {
        if (Stopwatch.GetElapsedTime(_lastIdleSweep) < TimeSpan.FromSeconds(1) || parts.SessionIdleTimeout <= TimeSpan.Zero)
        {
            return;
        }
        _lastIdleSweep = Stopwatch.GetTimestamp();
        var evicted = parts.Sessions.EvictIdleOlderThan(parts.SessionIdleTimeout);
        if (evicted > 0)
        {
            logger.LogInformation("Evicted {Count} idle sessions", evicted);
        }
    }

    private void Finish(ActiveRequest request, FinishReason reason, string textDelta)
    {
        Retire(request);
        var sequence = request.Sequence;
        var now = DateTimeOffset.UtcNow;
        parts.Scheduler.RecordCompletionLength(sequence.GeneratedCount);
        var usage = new GenerationUsage
        {
            PromptTokens = sequence.PromptLength,
            CompletionTokens = sequence.GeneratedCount,
            CachedPromptTokens = sequence.CachedPromptTokens,
            KvBlocksAllocated = sequence.BlocksAllocated,
            PeakKvBytes = sequence.PeakBlocks * parts.Pool.BytesPerBlock,
            Preemptions = sequence.Preemptions,
            RecomputedTokens = sequence.RecomputedTokens,
            QueueTime = (sequence.FirstScheduledAt ?? now) - sequence.SubmittedAt,
            TimeToFirstToken = sequence.FirstTokenAt - sequence.SubmittedAt,
            Duration = now - sequence.SubmittedAt,
        };
        metrics.RecordOutcome(reason.ToString().ToLowerInvariant());
        _finalEvents.Add((request, new GenerationFinished(reason, usage, textDelta)));
    }

    private void Fail(ActiveRequest request, string code, string message)
    {
        Retire(request);
        Report(request, code, message);
    }

    /// <summary>Queues a request's failure event (sent by the next <see cref="Publish"/>); its KV is the caller's business.</summary>
    private void Report(ActiveRequest request, string code, string message)
    {
        metrics.RecordOutcome(code);
        _finalEvents.Add((request, new GenerationFailed(code, message)));
    }

    /// <summary>Leaves the scheduler and gives back KV: a session keeps its blocks for the next turn, anything else frees them.</summary>
    private void Retire(ActiveRequest request)
    {
        var sequence = request.Sequence;
        _active.Remove(request.Id);
        parts.Scheduler.Remove(sequence);
        sequence.Status = SequenceStatus.Finished;
        if (sequence.Session is { } session)
        {
            parts.Sessions.MarkIdle(session);
        }
        else
        {
            sequence.Kv?.ReleaseAll();
        }
    }

    /// <summary>Publishes the memory snapshot, then the final events, so a client that sees its request end also sees its blocks freed.</summary>
    private void Publish()
    {
        // A snapshot costs more than a small model's step, so while tokens merely flow it is refreshed at most every 50 ms;
        // whenever a request ends (or the engine goes idle) it is taken before the final events go out.
        var idle = _active.Count == 0;
        if (_finalEvents.Count == 0 && !idle && Stopwatch.GetElapsedTime(_lastPublish) < PublishInterval)
        {
            return;
        }
        _lastPublish = Stopwatch.GetTimestamp();
        metrics.Publish(KvMemoryAccounting.Snapshot(parts.Sessions, parts.Scheduler.Running.Concat(parts.Scheduler.Waiting).Where(s => s.Kv is not null).Select(s => s.Kv!),
            parts.Config.KvBytesPerToken(sizeof(float)), parts.Config.MhaKvBytesPerToken(sizeof(float)))
            with { RunningSequences = parts.Scheduler.Running.Count, WaitingRequests = parts.Scheduler.Waiting.Count });
        foreach (var (request, finalEvent) in _finalEvents)
        {
            // Released first: a client that sees its request end may send the session's next turn at once.
            requestCompleted(request);
            request.Events.TryWrite(finalEvent);
            request.Events.TryComplete();
        }
        _finalEvents.Clear();
    }

    private void WaitForCommand(CancellationToken stop)
    {
        try
        {
            commands.WaitToReadAsync(stop).AsTask().Wait(TimeSpan.FromSeconds(1), stop);
        }
        catch (OperationCanceledException)
        {
        }
        catch (AggregateException exception) when (exception.InnerException is OperationCanceledException or ChannelClosedException)
        {
        }
    }
}
