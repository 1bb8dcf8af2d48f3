using GqaService.Inference.Engine.Events;
using GqaService.Inference.KvCache;
using GqaService.Inference.Scheduling;
using Microsoft.Extensions.Logging;

namespace GqaService.Inference.Engine;

/// <summary>
/// The requests the engine knows, from admission to their final event: attaches KV (a session's, a shared prefix, or a
/// fresh sequence), queues them with the scheduler, and retires them (finished, cancelled, failed, past their deadline),
/// giving their blocks back. The one owner of deadlines, on the injected clock; final events wait in
/// <see cref="DeliverFinalEvents"/> until the snapshot that shows their blocks freed is out. Engine thread only.
/// </summary>
internal sealed class RequestRegistry(RequestRegistrySettings settings, Scheduler scheduler, SessionStore sessions, EngineMetrics metrics,
    EngineEventRecorder events, TimeProvider time, ILogger logger, Action<ActiveRequest> requestCompleted)
{
    private readonly Dictionary<string, ActiveRequest> _active = [];
    private readonly List<(ActiveRequest Request, GenerationEvent Event)> _finalEvents = [];
    // Answered with the final events, after the snapshot that no longer lists the session: a DELETE's 200 followed by a
    // GET must not still find it.
    private readonly List<(TaskCompletionSource<bool> Done, bool Removed)> _deletions = [];
    private DateTimeOffset _lastIdleSweep = time.GetUtcNow();

    public int Count => _active.Count;
    public bool HasFinalEvents => _finalEvents.Count > 0 || _deletions.Count > 0;

    public ActiveRequest Of(Sequence sequence) => _active[sequence.Request.RequestId];

    /// <summary>Whether <paramref name="request"/> is still the one in flight under its id.</summary>
    public bool IsActive(ActiveRequest request) => _active.TryGetValue(request.Id, out var active) && ReferenceEquals(active, request);

    /// <summary>
    /// Gives a parked choice its own block table sharing every block of <paramref name="leader"/>'s computed prompt (reference
    /// counts; the first write into a shared partial block copies it), and schedules it to decode from the next step.
    /// </summary>
    public void Fork(ActiveRequest leader, ActiveRequest choice)
    {
        var sequence = choice.Sequence;
        sequence.Kv = leader.Sequence.Kv!.Fork();
        sequence.ForkedBlocks = sequence.Kv.ReservedBlocks;
        sequence.PeakBlocks = sequence.Kv.ReservedBlocks;
        sequence.CachedPromptTokens = leader.Sequence.CachedPromptTokens;
        sequence.FirstScheduledAt = leader.Sequence.FirstScheduledAt;
        scheduler.AdoptRunning(sequence);
    }

    public void Admit(ActiveRequest request)
    {
        if (_active.ContainsKey(request.Id) || request.ParkedChoices.Any(c => _active.ContainsKey(c.Id)))
        {
            foreach (var refused in request.ParkedChoices.Prepend(request))
            {
                events.OnRejected(refused.Sequence, "duplicate_request_id");
                Refuse(refused, "duplicate_request_id", $"A request with id '{request.Id}' is already in flight.");
            }
            return;
        }
        var sequence = request.Sequence;
        var prompt = sequence.Request.PromptTokenIds;
        if (sequence.Request.Session is { } sessionKey)
        {
            var session = sessions.GetOrCreate(sessionKey);
            sessions.Touch(session);
            sequence.Session = session;
            sequence.Kv = session.Sequence;
            // At least the last prompt token is recomputed: its logits pick the first new token.
            var keep = Math.Min(sequence.Kv.CommonPrefixLength(prompt), prompt.Count - 1);
            sequence.Kv.TruncateTo(keep);
            sequence.CachedPromptTokens = keep;
        }
        else
        {
            sequence.Kv = new KvSequence(sessions.Allocator, sessions.PrefixIndex, sessions.BlockSize, sequence.Request.Tenant);
        }
        // An empty sequence takes its shared or cached prefix when the scheduler starts it, not here: a queued request
        // must not pin cached blocks that running ones may need.
        // Queue time counts: the deadline runs from submission.
        request.Deadline = sequence.Request.Deadline
            ?? (settings.RequestTimeout > TimeSpan.Zero ? sequence.SubmittedAt + settings.RequestTimeout : null);
        metrics.RecordAdmission(prompt.Count);
        sequence.PendingForks = request.ParkedChoices.Count;
        _active.Add(request.Id, request);
        foreach (var choice in request.ParkedChoices)
        {
            // Known (cancellable, with the same deadline) but not scheduled: the leader's prefill is theirs too.
            choice.Deadline = request.Deadline;
            _active.Add(choice.Id, choice);
        }
        scheduler.Enqueue(sequence);
        events.OnQueued(sequence);
    }

    /// <summary>Cancels the request if it is still the one in flight under its id; a stale cancel is a no-op.</summary>
    public void Cancel(ActiveRequest request)
    {
        if (_active.TryGetValue(request.Id, out var active) && ReferenceEquals(active, request))
        {
            Finish(request, FinishReason.Cancelled, "");
        }
    }

    public void DeleteSession(DeleteSessionCommand delete)
    {
        try
        {
            var removed = sessions.Remove(delete.Session);
            if (removed)
            {
                events.OnSessionDeleted(delete.Session);
            }
            _deletions.Add((delete.Done, removed));
        }
        catch (Exception exception)
        {
            delete.Done.TrySetException(exception);
        }
    }

    /// <summary>Fails every request whose deadline has passed, whether it is still queued or already generating.</summary>
    public void ExpireDeadlines()
    {
        if (_active.Count == 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        foreach (var request in _active.Values.Where(r => r.Deadline <= now).ToList())
        {
            if (!IsActive(request))
            {
                continue; // a parked choice its leader's failure already ended
            }
            var started = request.Sequence.FirstTokenAt is not null;
            Fail(request, GenerationFailed.DeadlineExceeded, started
                ? "The request passed its deadline while generating."
                : "The request passed its deadline before it could start.");
        }
    }

    /// <summary>At most once a second: evicts sessions idle for longer than the configured timeout.</summary>
    public void SweepIdleSessions()
    {
        var now = time.GetUtcNow();
        if (now - _lastIdleSweep < TimeSpan.FromSeconds(1) || settings.SessionIdleTimeout <= TimeSpan.Zero)
        {
            return;
        }
        _lastIdleSweep = now;
        var evicted = sessions.EvictIdleOlderThan(settings.SessionIdleTimeout);
        if (evicted > 0)
        {
            logger.LogInformation("Evicted {Count} idle sessions", evicted);
        }
    }

    /// <summary>Records the scheduler's preemptions and ends the requests it found unservable.</summary>
    public void OnScheduled(ScheduledBatch batch)
    {
        foreach (var preempted in batch.Preempted)
        {
            metrics.RecordPreemption();
            events.OnPreempted(preempted);
            logger.LogDebug("Preempted {RequestId} after {Tokens} computed tokens", preempted.Request.RequestId, preempted.RecomputedTokens);
        }
        foreach (var unservable in batch.Unservable)
        {
            events.OnRejected(unservable, "kv_cache_exhausted");
            Fail(Of(unservable), "kv_cache_exhausted",
                $"The request needs more KV blocks than the whole pool holds ({sessions.Allocator.TotalBlocks} blocks of {sessions.BlockSize} tokens).");
        }
    }

    public void Finish(ActiveRequest request, FinishReason reason, string textDelta)
    {
        Retire(request);
        foreach (var parked in TakeParkedChoices(request))
        {
            // Only a cancel can end a leader before its prompt is done; its parked choices end the same way.
            Finish(parked, reason, "");
        }
        var sequence = request.Sequence;
        scheduler.RecordCompletionLength(sequence.GeneratedCount);
        metrics.RecordOutcome(reason.ToString().ToLowerInvariant());
        var usage = GenerationUsage.Of(sequence, settings.BytesPerBlock, time.GetUtcNow());
        events.OnFinished(sequence, reason.ToString().ToLowerInvariant(), usage);
        var score = sequence.Request.Scoring is null ? null : new PromptScore(sequence.ScoredTokens, sequence.ScoredNegativeLogLikelihood);
        _finalEvents.Add((request, new GenerationFinished(reason, usage, textDelta) { Score = score }));
    }

    public void Fail(ActiveRequest request, string code, string message)
    {
        Retire(request);
        events.OnFinished(request.Sequence, code, GenerationUsage.Of(request.Sequence, settings.BytesPerBlock, time.GetUtcNow()));
        Refuse(request, code, message);
        foreach (var parked in TakeParkedChoices(request))
        {
            Fail(parked, code, message);
        }
    }

    /// <summary>The choices still waiting for <paramref name="leader"/>'s prompt, which can no longer fork from it.</summary>
    private List<ActiveRequest> TakeParkedChoices(ActiveRequest leader)
    {
        var parked = leader.ParkedChoices.Where(IsActive).ToList();
        leader.ClearParkedChoices();
        return parked;
    }

    public void FailAll(string code, string message)
    {
        foreach (var request in _active.Values.ToList())
        {
            if (IsActive(request))
            {
                Fail(request, code, message);
            }
        }
    }

    /// <summary>After the loop itself failed: every request ends with an error, without touching KV state that may be broken.</summary>
    public void Abandon(string code, string message)
    {
        foreach (var request in _active.Values.ToList())
        {
            _active.Remove(request.Id);
            Refuse(request, code, message);
        }
    }

    /// <summary>A request that reached the engine after it stopped: refused, never run.</summary>
    public void RefuseLate(ActiveRequest request)
    {
        events.OnRejected(request.Sequence, "shutting_down");
        Refuse(request, "shutting_down", "The service is shutting down.");
    }

    /// <summary>Queues a request's failure event (sent by <see cref="DeliverFinalEvents"/>); its KV is the caller's business.</summary>
    public void Refuse(ActiveRequest request, string code, string message)
    {
        metrics.RecordOutcome(code);
        _finalEvents.Add((request, new GenerationFailed(code, message)));
    }

    /// <summary>Sends the queued final events and closes those requests' streams.</summary>
    public void DeliverFinalEvents()
    {
        foreach (var (request, finalEvent) in _finalEvents)
        {
            // Released first: a client that sees its request end may send the session's next turn at once.
            requestCompleted(request);
            request.Events.TryWrite(finalEvent);
            request.Events.TryComplete();
        }
        _finalEvents.Clear();
        foreach (var (done, removed) in _deletions)
        {
            done.TrySetResult(removed);
        }
        _deletions.Clear();
    }

    /// <summary>Leaves the scheduler and gives back KV: a session keeps its blocks for the next turn, anything else frees them.</summary>
    private void Retire(ActiveRequest request)
    {
        var sequence = request.Sequence;
        _active.Remove(request.Id);
        scheduler.Remove(sequence);
        sequence.Status = SequenceStatus.Finished;
        metrics.RecordPrefixReuse(sequence.CachedPromptTokens);
        if (sequence.Session is { } session)
        {
            // Still in the store unless it was evicted or deleted meanwhile (then its sequence is already empty).
            if (sessions.TryGet(session.Key, out var current) && ReferenceEquals(current, session))
            {
                sessions.Touch(session);
            }
        }
        else
        {
            sequence.Kv?.ReleaseAll();
        }
    }
}
