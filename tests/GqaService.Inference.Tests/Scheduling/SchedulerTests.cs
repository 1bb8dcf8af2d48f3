using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;
using GqaService.Inference.Tests.KvCache;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Scheduling;

/// <summary>Scheduler decisions (admission, preemption, the unservable verdict, eviction) driven step by step through the step core.</summary>
public sealed class SchedulerTests
{
    [Fact]
    public void AdmissionWaitsForPredictedDemand_WhileOthersRun_AndAdmitsWhenNothingRuns()
    {
        // 8 blocks of 4 tokens. A needs at most 2 blocks; B predicts 4 + 24 tokens = 7 blocks, more than A leaves.
        using var engine = new StepCoreFixture(totalBlocks: 8, blockSize: 4);
        var a = engine.Submit(promptLength: 4, maxTokens: 4);
        var b = engine.Submit(promptLength: 4, maxTokens: 24);

        var whileARuns = new List<RecordedStep>();
        while (engine.Requests.Count == 2 && !engine.Completed.Contains(a))
        {
            whileARuns.Add(engine.Step()!);
        }
        var afterA = engine.Step()!;

        Assert.All(whileARuns, s => Assert.DoesNotContain(s.Work, w => w.RequestId == b));
        Assert.Equal([(b, 4)], afterA.Work);
        engine.RunToCompletion();
        Assert.IsType<GenerationFinished>(engine.Events(b)[^1]);
    }

    [Fact]
    public void AdmissionCountsTheOutputsOfChoicesThatWillFork()
    {
        // 16 blocks of 4 tokens. A runs first. R's prompt (4) and output (16) alone need 5 blocks, which A leaves free;
        // with its two forks (each a copy of the partial block plus 4 blocks of output) R needs 15, which it does not.
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4);
        var a = engine.Submit(promptLength: 4, maxTokens: 8);
        var r = engine.SubmitChoices("r", promptLength: 4, maxTokens: 16, choices: 3);

        var whileARuns = new List<RecordedStep>();
        while (!engine.Completed.Contains(a))
        {
            whileARuns.Add(engine.Step()!);
        }
        engine.RunToCompletion();

        Assert.NotEmpty(whileARuns);
        Assert.All(whileARuns, s => Assert.DoesNotContain(s.Work, w => w.RequestId == "r"));
        Assert.All(r, id => Assert.Equal(16, engine.Events(id).OfType<TokenGenerated>().Count()));
        Assert.All(r, id => Assert.Equal(0, engine.SequenceOf(id).Preemptions));
        Assert.Equal(0, engine.Allocator.UsedBlocks);
    }

    [Fact]
    public void OutOfBlocks_TheNewestRunningSequenceIsPreemptedFirst_AndRecomputedLater()
    {
        // 6 blocks of 4 tokens; three requests of 4 prompt tokens each grow a block every 4 tokens.
        using var engine = new StepCoreFixture(totalBlocks: 6, blockSize: 4);
        engine.Scheduler.RecordCompletionLength(1); // admission expects short outputs, so all three start
        var ids = new[] { engine.Submit(4, 20), engine.Submit(4, 20), engine.Submit(4, 20) };

        var steps = new List<RecordedStep>();
        while (engine.Requests.Count > 0)
        {
            steps.Add(engine.Step()!);
        }

        var firstPreemption = steps.First(s => s.Preempted.Count > 0);
        Assert.Equal([ids[2]], firstPreemption.Preempted);
        Assert.All(ids, id => Assert.Equal(20, engine.Events(id).OfType<TokenGenerated>().Count()));
        Assert.True(engine.SequenceOf(ids[2]).RecomputedTokens > 0);
        Assert.Equal(0, engine.Allocator.UsedBlocks);
    }

    [Fact]
    public void ARequestIsNotUnservableWhileAWaitingSessionRequestHoldsTheBlocks()
    {
        // 8 blocks of 4 tokens. The session keeps 5 blocks; its next request waits behind R, which needs 6 blocks at once.
        using var engine = new StepCoreFixture(totalBlocks: 8, blockSize: 4);
        engine.Submit(promptLength: 19, maxTokens: 2, session: "chat");
        engine.RunToCompletion();
        Assert.Equal(5, engine.Allocator.UsedBlocks);

        var r = engine.Submit(promptLength: 24, maxTokens: 1, id: "big");
        Assert.True(engine.Sessions.TryGet(new("", "chat"), out var chat));
        var next = engine.Submit(promptLength: 0, maxTokens: 1, session: "chat", id: "next-turn", prompt: [.. chat.Sequence.Tokens, 5, 6, 7]);
        var step = engine.Step()!;

        Assert.Equal([(r, 24)], step.Work);
        Assert.Equal([next], step.Preempted);
        engine.RunToCompletion();
        Assert.IsType<GenerationFinished>(engine.Events(r)[^1]);
        Assert.IsType<GenerationFinished>(engine.Events(next)[^1]);
    }

    [Fact]
    public void ARequestIsUnservableOnlyWhenTheWholePoolCouldNotHoldIt()
    {
        // 8 blocks of 4 tokens = 32 slots: 30 prompt tokens fit, but the output outgrows the pool on its third token.
        using var engine = new StepCoreFixture(totalBlocks: 8, blockSize: 4);
        var id = engine.Submit(promptLength: 30, maxTokens: 10);

        engine.RunToCompletion();

        var events = engine.Events(id);
        Assert.Equal(3, events.OfType<TokenGenerated>().Count());
        Assert.Equal("kv_cache_exhausted", Assert.IsType<GenerationFailed>(events[^1]).Code);
        Assert.Equal(0, engine.Allocator.UsedBlocks);
    }

    [Fact]
    public void IdleSessionsAreEvictedLeastRecentlyUsedFirst_BusyOnesNever()
    {
        using var engine = new StepCoreFixture(totalBlocks: 8, blockSize: 4);
        foreach (var session in new[] { "a", "b", "c" })
        {
            engine.Clock.Advance(TimeSpan.FromSeconds(1));
            engine.Submit(promptLength: 7, maxTokens: 1, session: session);
            engine.RunToCompletion();
        }
        engine.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(engine.Sessions.TryGet(new("", "a"), out var a));
        engine.Sessions.Touch(a); // a is now the most recently used
        Assert.Equal(6, engine.Allocator.UsedBlocks);

        // Needs 4 blocks with 2 free: one eviction is enough, and it takes b, the least recently used.
        engine.Submit(promptLength: 16, maxTokens: 1);
        engine.Step();
        Assert.Equal(["a", "c"], engine.Sessions.Sessions.Select(s => s.Id).Order());

        // A turn of a keeps it busy: the next shortage evicts c, then has nothing more to evict.
        engine.RunToCompletion();
        engine.Submit(promptLength: 0, maxTokens: 1, session: "a", prompt: [.. a.Sequence.Tokens, 9]);
        engine.Submit(promptLength: 19, maxTokens: 1); // 5 blocks with 4 free
        engine.Step();
        Assert.Equal(["a"], engine.Sessions.Sessions.Select(s => s.Id));
    }

    [Fact]
    public void EvictingManySessionsCostsLinearlyManyVisits_NotQuadratic()
    {
        const int sessions = 3000;
        const int busy = 3;
        var cache = new KvCacheFixture(totalBlocks: sessions + busy, blockSize: 4);
        var clock = new ManualTimeProvider();
        var store = new SessionStore(cache.Allocator, cache.Index, 4, clock);
        for (var i = 0; i < busy + sessions; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            var session = store.GetOrCreate(new("", $"s{i}"));
            Assert.True(cache.Pool.TryExtend(session.Sequence, [i % 50, 1, 2]));
            if (i < busy)
            {
                store.MarkActive(session); // the oldest sessions are busy: every walk must step over them
            }
        }

        var order = new List<string>();
        while (store.TryEvictLeastRecentlyUsed(out var evicted))
        {
            order.Add(evicted.Value.Id);
        }

        Assert.Equal(Enumerable.Range(busy, sessions).Select(i => $"s{i}"), order);
        // Each eviction steps over the busy sessions and takes the next: (busy + 1) visits, plus the last failing walk.
        Assert.True(store.SessionsVisited <= (busy + 1) * (sessions + 1), $"{store.SessionsVisited} visits for {sessions} evictions");
    }

    [Fact]
    public void ExpiringIdleSessionsVisitsOnlyTheStaleOnesAndTheFirstFreshOne()
    {
        var cache = new KvCacheFixture(totalBlocks: 4000, blockSize: 4);
        var clock = new ManualTimeProvider();
        var store = new SessionStore(cache.Allocator, cache.Index, 4, clock);
        for (var i = 0; i < 3000; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            store.MarkIdle(store.GetOrCreate(new("", $"s{i}")));
        }

        // The oldest 1000 are more than 1999.5 s old.
        Assert.Equal(1000, store.EvictIdleOlderThan(TimeSpan.FromSeconds(1999.5)));
        Assert.Equal(1001, store.SessionsVisited);
        Assert.Equal(2000, store.Count);
    }
}
