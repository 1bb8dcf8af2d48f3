using GqaService.Inference.KvCache;

namespace GqaService.Inference.Scheduling;

/// <summary>
/// Iteration-level (continuous batching) policy: every step, running sequences go first, oldest first, one decode token
/// or one prefill chunk each; then waiting requests are admitted while the step's token budget and the KV blocks allow.
/// When a running sequence needs a block and none is free (even after evicting idle sessions), the newest running sequence
/// is preempted: its blocks are released and it is re-queued at the front, to be recomputed later. Integers only, no
/// tensors; engine thread only.
/// </summary>
public sealed class Scheduler(SchedulerLimits limits, BlockAllocator allocator, SessionStore sessions)
{
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];
    private double _meanOutputTokens = -1;

    public IReadOnlyCollection<Sequence> Waiting => _waiting;
    public IReadOnlyList<Sequence> Running => _running;

    public void Enqueue(Sequence sequence) => _waiting.AddLast(sequence);

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
            if (victim == sequence && i == 0)
            {
                // Alone and still out of blocks: this request can never fit the pool.
                _running.RemoveAt(i);
                unservable.Add(sequence);
                continue;
            }
            Preempt(victim);
            preempted.Add(victim);
        }

        while (_waiting.First is { } next && work.Count < limits.MaxSequencesPerStep && budget > 0)
        {
            var sequence = next.Value;
            if (sequence.Kv is null)
            {
                // The engine attaches KV (session or shared prefix) before queueing; a preempted sequence comes back empty.
                throw new InvalidOperationException("A waiting sequence has no KV sequence attached.");
            }
            var count = Math.Min(sequence.PendingCount, Math.Min(limits.PrefillChunkSize, budget));
            var nothingRuns = _running.Count == 0 && work.Count == 0;
            if (!nothingRuns && !FitsPredictedDemand(sequence))
            {
                break;
            }
            if (!TryReserve(sequence, count, copies))
            {
                if (nothingRuns)
                {
                    _waiting.RemoveFirst();
                    unservable.Add(sequence);
                    continue;
                }
                break;
            }
            _waiting.RemoveFirst();
            sequence.Status = SequenceStatus.Running;
            InsertByArrival(sequence);
            work.Add(new ScheduledWork(sequence, count));
            budget -= count;
        }
        return new ScheduledBatch(work, copies, preempted, unservable);
    }

    /// <summary>Prompt blocks still to fill plus the blocks its output is expected to need, against what is free or evictable.</summary>
    private bool FitsPredictedDemand(Sequence sequence)
    {
        var expectedOutput = (int)Math.Ceiling(_meanOutputTokens < 0 ? sequence.Request.MaxTokens : Math.Min(sequence.Request.MaxTokens, _meanOutputTokens));
        var needed = sequence.Kv!.BlocksNeededFor(sequence.PendingCount + expectedOutput);
        // Every running sequence may need one more block next step.
        var evictable = sessions.Sessions.Where(s => !s.Active).Sum(sessions.FreeableBlocks);
        var available = allocator.FreeBlocks + evictable - _running.Count;
        return needed <= available;
    }

    private bool TryReserve(Sequence sequence, int count, List<BlockCopy> copies)
    {
        var before = sequence.Kv!.ReservedBlocks;
        while (!sequence.Kv.TryReserve(count, copies))
        {
            if (!sessions.TryEvictLeastRecentlyUsed(out _))
            {
                return false;
            }
        }
        sequence.BlocksAllocated += Math.Max(0, sequence.Kv.ReservedBlocks - before);
        sequence.PeakBlocks = Math.Max(sequence.PeakBlocks, sequence.Kv.ReservedBlocks);
        sequence.FirstScheduledAt ??= DateTimeOffset.UtcNow;
        return true;
    }

    private void Preempt(Sequence victim)
    {
        _running.Remove(victim);
        victim.RecomputedTokens += victim.ComputedCount;
        victim.Preemptions++;
        victim.Kv!.ReleaseAll();
        victim.Status = SequenceStatus.Waiting;
        _waiting.AddFirst(victim);
    }

    private void InsertByArrival(Sequence sequence)
    {
        var index = _running.FindIndex(s => s.ArrivalOrder > sequence.ArrivalOrder);
        _running.Insert(index < 0 ? _running.Count : index, sequence);
    }
}
