using GqaService.Inference.Engine;
using GqaService.Inference.Engine.Events;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Engine.Events;

/// <summary>
/// The engine's event stream over the real step machinery (fake runner, manual clock): what each request, session and block
/// change publishes, that block events account for every block the allocator handed out, and that the block map agrees with
/// the allocator.
/// </summary>
public sealed class EngineEventTests
{
    [Fact]
    public async Task ASessionRequest_QueuesRunsAndFinishes_ItsBlocksAreAllocatedToTheSession_AndFreedWhenDeleted()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4);
        using var subscription = engine.Hub.Subscribe();
        var id = engine.Submit(promptLength: 6, maxTokens: 5, session: "s1");
        engine.RunToCompletion();
        var sessionBlocks = engine.Sessions.Sessions.Single().Sequence.Blocks.Order().ToArray();
        var afterRun = Drain(subscription);

        Assert.Equal(EngineEventKind.Queued, afterRun[0].Kind);
        // 6 prompt + 5 output tokens in blocks of 4, at most.
        Assert.Equal(3, afterRun[0].PredictedBlocks);
        var kinds = afterRun.Select(e => e.Kind).Where(k => k != EngineEventKind.Stats).ToList();
        Assert.True(kinds.IndexOf(EngineEventKind.SessionCreated) > 0);
        Assert.True(kinds.IndexOf(EngineEventKind.Admitted) > 0);
        Assert.Equal(EngineEventKind.Finished, kinds[^1]);
        var finished = afterRun.Single(e => e.Kind == EngineEventKind.Finished);
        Assert.Equal((id, "length"), (finished.RequestId, finished.Reason));
        Assert.Equal(5, finished.Receipt!.CompletionTokens);
        var allocated = afterRun.Where(e => e.Kind == EngineEventKind.BlocksAllocated).ToList();
        Assert.All(allocated, e => Assert.Equal(new BlockOwner(BlockOwner.SessionKind, "s1"), e.Owner));
        Assert.Equal(sessionBlocks, allocated.SelectMany(e => e.Blocks!).Order());
        Assert.DoesNotContain(afterRun, e => e.Kind == EngineEventKind.BlocksFreed);

        var deleted = new TaskCompletionSource<bool>();
        engine.Requests.DeleteSession(new DeleteSessionCommand(new("", "s1"), deleted));
        engine.Step();
        var afterDelete = Drain(subscription);

        Assert.True(await deleted.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        var sessionDeleted = afterDelete.Single(e => e.Kind == EngineEventKind.SessionDeleted);
        Assert.Equal(("s1", sessionBlocks.Length), (sessionDeleted.SessionId, sessionDeleted.BlocksReleased));
        var freed = afterDelete.Single(e => e.Kind == EngineEventKind.BlocksFreed);
        Assert.Equal(sessionBlocks, freed.Blocks);
        Assert.Equal(-1, engine.Hub.BlockMap.OwnerOf.Max());
    }

    [Fact]
    public void ARepeatedPrompt_ReusesTheCachedPrefix_AndSaysSoWhenItStarts()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4, prefixCaching: true);
        int[] prompt = [.. Enumerable.Range(0, 10).Select(_ => Random.Shared.Next(2, 16))];
        engine.Submit(0, maxTokens: 3, prompt: prompt);
        engine.RunToCompletion();
        using var subscription = engine.Hub.Subscribe();

        var repeat = engine.Submit(0, maxTokens: 3, prompt: prompt);
        engine.RunToCompletion();
        var events = Drain(subscription);

        // Two full blocks of the 10-token prompt are cached; the block with its last token is computed again.
        var reused = Assert.Single(events, e => e.Kind == EngineEventKind.PrefixReused);
        Assert.Equal((repeat, 8, "prefix_cache"), (reused.RequestId, reused.Tokens, reused.Reason));
        Assert.Equal(8, events.Single(e => e.Kind == EngineEventKind.Finished).Receipt!.CachedPromptTokens);
        Assert.True(events.FindIndex(e => e.Kind == EngineEventKind.Admitted) < events.FindIndex(e => e.Kind == EngineEventKind.PrefixReused));
    }

    [Fact]
    public void UnderPreemption_EveryAllocatedBlockIsFreedOnce_AndThePreemptionNamesWhatItGaveBack()
    {
        // 6 blocks of 4 tokens; three requests that each grow to 6 blocks' worth: someone is preempted.
        using var engine = new StepCoreFixture(totalBlocks: 6, blockSize: 4);
        engine.Scheduler.RecordCompletionLength(1);
        using var subscription = engine.Hub.Subscribe();
        var ids = new[] { engine.Submit(4, 20), engine.Submit(4, 20), engine.Submit(4, 20) };
        var holdersAtPreemption = new Dictionary<string, int>();
        var preemptions = new List<EngineEvent>();
        var events = new List<EngineEvent>();
        while (engine.Requests.Count > 0)
        {
            var held = ids.ToDictionary(id => id, id => engine.SequenceOf(id).Kv?.ReservedBlocks ?? 0);
            var computed = ids.ToDictionary(id => id, id => engine.SequenceOf(id).ComputedCount);
            engine.Step();
            foreach (var e in Drain(subscription))
            {
                events.Add(e);
                if (e.Kind == EngineEventKind.Preempted)
                {
                    preemptions.Add(e);
                    // What it held before the step is what it gave back, and what it had computed is to be recomputed.
                    Assert.Equal(held[e.RequestId!], e.BlocksReleased);
                    Assert.Equal(computed[e.RequestId!], e.Tokens);
                }
            }
        }

        Assert.NotEmpty(preemptions);
        Assert.Equal(preemptions.Count, ids.Sum(id => engine.SequenceOf(id).Preemptions));
        // Each block alternates allocated, freed, allocated, ...; every allocation ends freed.
        var state = new Dictionary<int, string>();
        foreach (var e in events.Where(e => e.Kind is EngineEventKind.BlocksAllocated or EngineEventKind.BlocksFreed))
        {
            foreach (var block in e.Blocks!)
            {
                var owner = $"{e.Owner!.Kind}:{e.Owner.Id}";
                if (e.Kind == EngineEventKind.BlocksAllocated)
                {
                    Assert.False(state.ContainsKey(block), $"block {block} allocated twice");
                    state[block] = owner;
                }
                else
                {
                    Assert.True(state.Remove(block, out var holder), $"block {block} freed while free");
                    Assert.Equal(holder, owner);
                }
            }
        }
        Assert.Empty(state);
        Assert.Equal(0, engine.Allocator.UsedBlocks);
        Assert.Equal(3, events.Count(e => e.Kind == EngineEventKind.Finished));
    }

    [Fact]
    public void TheBlockMap_AgreesWithTheAllocatorAndTheBlockTables_WhileRequestsRun()
    {
        using var engine = new StepCoreFixture(totalBlocks: 32, blockSize: 4);
        var shared = Enumerable.Range(10, 9).ToArray();
        var a = engine.Submit(0, 30, prompt: shared);
        engine.Step();
        engine.Step();
        var b = engine.Submit(0, 30, prompt: [.. shared.Take(8), 77]);
        // While work runs the map is rebuilt at most every 250 ms.
        engine.Clock.Advance(TimeSpan.FromSeconds(1));
        engine.Step();

        var map = engine.Hub.BlockMap;
        Assert.Equal(engine.Allocator.UsedBlocks, map.OwnerOf.Count(o => o >= 0));
        foreach (var id in new[] { a, b })
        {
            var kv = engine.SequenceOf(id).Kv!;
            for (var logical = 0; logical < kv.Blocks.Count; logical++)
            {
                var block = kv.Blocks[logical];
                Assert.Equal(engine.Allocator.RefCount(block), map.RefCounts[block]);
                Assert.True(map.OwnerOf[block] >= 0);
            }
        }
        // b reused a's two full prompt blocks: they are shared, owned by whoever listed them first, counted twice.
        var bBlocks = engine.SequenceOf(b).Kv!.Blocks;
        Assert.Equal(2, map.RefCounts[bBlocks[0]]);
        Assert.Equal(a, map.Owners[map.OwnerOf[bBlocks[0]]].Id);
        var owner = map.Owners[map.OwnerOf[bBlocks[2]]];
        Assert.Equal((BlockOwner.RequestKind, b, b), (owner.Kind, owner.Id, owner.RequestId));
        Assert.Equal(2, map.Positions[bBlocks[2]]);
    }

    [Fact]
    public void ASlowSubscriber_LosesTheNewestEvents_IsToldHowMany_AndOthersLoseNothing()
    {
        using var hub = new EngineEvents();
        using var slow = hub.Subscribe(capacity: 2);
        using var fast = hub.Subscribe(capacity: 64);
        for (var i = 0; i < 10; i++)
        {
            hub.Publish(new EngineEvent { Kind = EngineEventKind.Queued, RequestId = $"r{i}" });
        }

        var slowEvents = Drain(slow);
        hub.Publish(new EngineEvent { Kind = EngineEventKind.Queued, RequestId = "late" });
        slowEvents.AddRange(Drain(slow));

        Assert.Equal(["r0", "r1", null, "late"], slowEvents.Select(e => e.RequestId));
        Assert.Equal(8, slowEvents[2].Count);
        Assert.Equal(EngineEventKind.Dropped, slowEvents[2].Kind);
        Assert.Equal(11, slowEvents[^1].Sequence);
        Assert.Equal(8, hub.DroppedTotal);
        Assert.Equal(Enumerable.Range(1, 11).Select(i => (long)i), Drain(fast).Select(e => e.Sequence));
    }

    /// <summary>Everything the subscription holds now, without waiting (the enumerator only waits once the queue is empty).</summary>
    private static List<EngineEvent> Drain(EngineEventSubscription subscription)
    {
        var events = new List<EngineEvent>();
        using var stop = new CancellationTokenSource();
        var enumerator = subscription.ReadAllAsync(stop.Token).GetAsyncEnumerator();
        while (true)
        {
            var next = enumerator.MoveNextAsync();
            if (!next.IsCompleted)
            {
                stop.Cancel();
                try
                {
                    next.AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                }
                return events;
            }
            if (!next.Result)
            {
                return events;
            }
            events.Add(enumerator.Current);
        }
    }
}
