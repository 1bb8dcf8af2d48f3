using GqaService.Inference.KvCache;

namespace GqaService.Inference.Scheduling;

/// <summary>
/// Iteration-level (continuous batching) policy: every step, running sequences go first, oldest first, one decode token
/// or one prefill chunk each; then waiting requests are admitted while the step's token budget and the KV blocks allow.
/// Free blocks include cached ones (a finished request's prefix, evicted on demand before any idle session is), so the
/// prefix cache never delays admission. When a running sequence needs a block and none is free (even after evicting idle
/// sessions), the newest running sequence is preempted: its blocks are released and it is re-queued at the front, to be
/// recomputed later. A sequence is refused as unservable only when it could not fit even with every other block released. Integers only, no tensors; engine thread only.
/// </summary>
public sealed class Scheduler(SchedulerLimits limits, BlockAllocator allocator, SessionStore sessions, TimeProvider time)
{
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];
    private double _meanOutputTokens = -1;
    /// <summary>Blocks idle sessions would free, counted once per step (a lower bound as the step goes on).</summary>
    private int? _evictableThisStep;

    public IReadOnlyCollection<Sequence> Waiting => _waiting;
    public IReadOnlyList<Sequence> Running => _running;

    public void Enqueue(Sequence sequence) => _waiting.AddLast(sequence);

    /// <summary>
    /// Adds a sequence whose KV is already computed (a choice forked from another's prefill) straight to the running set:
    /// it decodes from the next step.
    /// </summary>
    public void AdoptRunning(Sequence sequence)
    {
        sequence.Status = SequenceStatus.Running;
        InsertByArrival(sequence);
    }

    /// <summary>Removes a sequence wherever it is (finished, cancelled or failed); its KV is the caller's to release.</summary>
    public void Remove(Sequence sequence)
    {
        if (!_running.Remove(sequence))
        {
            _waiting.Remove(sequence);
        }
    }

    /// <summary>Feeds admission's estimate of how long outputs run.</summary>
    public void RecordCompletionLength(int tokens) =>
        _meanOutputTokens = _meanOutputTokens < 0 ? tokens : 0.9 * _meanOutputTokens + 0.1 * tokens;

    public ScheduledBatch Schedule()
    {
        var work = new List<ScheduledWork>();
        var copies = new List<BlockCopy>();
        var preempted = new List<Sequence>();
        var unservable = new List<Sequence>();
        var budget = limits.MaxBatchedTokens;
        _evictableThisStep = null;

        for (var i = 0; i < _running.Count && work.Count < limits.MaxSequencesPerStep && budget > 0;)
        {
            var sequence = _running[i];
            var count = Math.Min(sequence.PendingCount, Math.Min(limits.PrefillChunkSize, budget));
            if (TryReserve(sequence, count, copies))
            {
                work.Add(new ScheduledWork(sequence, count));
                budget -= count;
                i++;
                continue;
            }
            var victim = _running[^1];
            if (victim != sequence || i > 0)
            {
                Preempt(victim);
                preempted.Add(victim);
                continue;
            }
            // Alone and still out of blocks: what waiting sequences hold goes next; refused only if even that is not enough.
            if (ReserveByReleasingWaiting(sequence, count, copies, preempted))
            {
                work.Add(new ScheduledWork(sequence, count));
                budget -= count;
                i++;
                continue;
            }
            _running.RemoveAt(i);
            unservable.Add(sequence);
        }

        AdmitWaiting(work, copies, preempted, unservable, budget);
        return new ScheduledBatch(work, copies, preempted, unservable);
    }

    /// <summary>Starts waiting sequences, oldest first, while the step's budget and the KV blocks allow.</summary>
    private void AdmitWaiting(List<ScheduledWork> work, List<BlockCopy> copies, List<Sequence> preempted, List<Sequence> unservable, int budget)
    {
        while (_waiting.First is { } next && work.Count < limits.MaxSequencesPerStep && budget > 0)
        {
            var sequence = next.Value;
            if (sequence.Kv is null)
            {
                // The engine attaches a KV sequence (a session's or a fresh one) before queueing; a preempted one comes back empty.
                throw new InvalidOperationException("A waiting sequence has no KV sequence attached.");
            }
            var firstStart = sequence.FirstScheduledAt is null;
            var startsEmpty = sequence.Kv.ReservedBlocks == 0;
            // A scoring (perplexity) request needs logits at every position, so none of its prompt may come from the prefix cache.
            var reused = startsEmpty && sequence.Request.Scoring is null ? sequence.Kv.AttachSharedPrefix(sequence.Tokens) : 0;
            var count = Math.Min(sequence.PendingCount, Math.Min(limits.PrefillChunkSize, budget));
            var nothingRuns = _running.Count == 0 && work.Count == 0;
            if (!nothingRuns && !FitsPredictedDemand(sequence))
            {
                DetachSharedPrefix(sequence, reused);
                break;
            }
            if (!TryReserve(sequence, count, copies))
            {
                if (!nothingRuns)
                {
                    DetachSharedPrefix(sequence, reused);
                    break;
                }
                if (!ReserveByReleasingWaiting(sequence, count, copies, preempted))
                {
                    DetachSharedPrefix(sequence, reused);
                    _waiting.Remove(sequence);
                    unservable.Add(sequence);
                    continue;
                }
            }
            RecordPrefixReuse(sequence, firstStart, startsEmpty, reused);
            _waiting.Remove(sequence);
            sequence.Status = SequenceStatus.Running;
            InsertByArrival(sequence);
            work.Add(new ScheduledWork(sequence, count));
            budget -= count;
        }
    }

    /// <summary>What a starting sequence found: its first start reports it as cached prompt tokens (a session that kept its
    /// KV reported that on admission); a resumed one recomputes that much less than its preemption counted.</summary>
    private static void RecordPrefixReuse(Sequence sequence, bool firstStart, bool startsEmpty, int reused)
    {
        if (firstStart && startsEmpty)
        {
            sequence.CachedPromptTokens = reused;
        }
        else if (!firstStart)
        {
            sequence.RecomputedTokens -= Math.Min(reused, sequence.RecomputedTokens);
        }
    }

    /// <summary>
    /// An empty sequence (new, an emptied session, or preempted) starts from the full blocks the prefix index holds for its
    /// tenant, shared with running sequences or taken out of the cache; this undoes that when it does not start this step
    /// after all (cached blocks go back to the cache). Attaching when it starts rather than on admission means a queued
    /// request never pins cached blocks that running ones may need.
    /// </summary>
    private static void DetachSharedPrefix(Sequence sequence, int attached)
    {
        if (attached > 0)
        {
            sequence.Kv!.ReleaseAll();
        }
    }

    /// <summary>Prompt blocks still to fill plus the blocks its output is expected to need, against what is free or evictable.</summary>
    private bool FitsPredictedDemand(Sequence sequence)
    {
        var expectedOutput = (int)Math.Ceiling(_meanOutputTokens < 0 ? sequence.Request.MaxTokens : Math.Min(sequence.Request.MaxTokens, _meanOutputTokens));
        var needed = sequence.Kv!.BlocksNeededFor(sequence.PendingCount + expectedOutput)
            // Each fork shares the prompt's full blocks, copies the partial last one and grows its own output.
            + sequence.PendingForks * (1 + (expectedOutput + limits.BlockSize - 1) / limits.BlockSize);
        // Every running sequence may need one more block next step. Evicting moves blocks from evictable to free, so the sum
        // stays right as the step evicts.
        _evictableThisStep ??= sessions.EvictableBlocks();
        var available = allocator.FreeBlocks + _evictableThisStep.Value - _running.Count;
        return needed <= available;
    }

    private bool TryReserve(Sequence sequence, int count, List<BlockCopy> copies)
    {
        var before = sequence.Kv!.ReservedBlocks;
        var reserved = sessions.TryReserveEvictingIdle(sequence.Kv, count, copies, out var evictedBlocks);
        _evictableThisStep -= evictedBlocks;
        if (!reserved)
        {
            return false;
        }
        sequence.BlocksAllocated += Math.Max(0, sequence.Kv.ReservedBlocks - before);
        sequence.PeakBlocks = Math.Max(sequence.PeakBlocks, sequence.Kv.ReservedBlocks);
        sequence.FirstScheduledAt ??= time.GetUtcNow();
        return true;
    }

    /// <summary>
    /// Nothing else runs, yet <paramref name="sequence"/> is out of blocks: waiting sequences that hold KV (a session's cache,
    /// a preempted prefix) give it back, newest first, until the reservation fits. False when it cannot fit even then: the
    /// whole pool is smaller than what it needs.
    /// </summary>
    private bool ReserveByReleasingWaiting(Sequence sequence, int count, List<BlockCopy> copies, List<Sequence> preempted)
    {
        for (var node = _waiting.Last; node is not null; node = node.Previous)
        {
            var holder = node.Value;
            if (holder == sequence || holder.Kv is not { ReservedBlocks: > 0 })
            {
                continue;
            }
            ReleaseKv(holder);
            preempted.Add(holder);
            if (TryReserve(sequence, count, copies))
            {
                return true;
            }
        }
        return false;
    }

    private void Preempt(Sequence victim)
    {
        _running.Remove(victim);
        ReleaseKv(victim);
        victim.Status = SequenceStatus.Waiting;
        _waiting.AddFirst(victim);
    }

    /// <summary>Drops a sequence's K/V; whatever it had computed is computed again when it runs.</summary>
    private static void ReleaseKv(Sequence sequence)
    {
        sequence.LastPreemptionTokens = sequence.ComputedCount;
        sequence.RecomputedTokens += sequence.ComputedCount;
        sequence.Preemptions++;
        sequence.LastPreemptionBlocks = sequence.Kv!.ReleaseAll();
    }

    private void InsertByArrival(Sequence sequence)
    {
        var index = _running.FindIndex(s => s.ArrivalOrder > sequence.ArrivalOrder);
        _running.Insert(index < 0 ? _running.Count : index, sequence);
    }
}
