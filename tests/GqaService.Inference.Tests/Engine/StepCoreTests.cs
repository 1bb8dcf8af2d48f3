using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Engine;

/// <summary>The step core with a fake runner and a manual clock: what each step computes, samples, streams and frees.</summary>
public sealed class StepCoreTests
{
    [Fact]
    public void ALongPromptIsPrefilledInChunks_OnlyTheLastChunkSamples_ThenOneTokenPerStep()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4, prefillChunkSize: 4);
        var id = engine.Submit(promptLength: 10, maxTokens: 3);

        var steps = Enumerable.Range(0, 5).Select(_ => engine.Step()!).ToList();

        Assert.Equal([4, 4, 2, 1, 1], steps.Select(s => s.TokenCount));
        Assert.Equal([false, false, true, true, true], steps.Select(s => s.Sampled.Contains(id)));
        Assert.Null(engine.Step());
        var events = engine.Events(id);
        // Token ids are the fake's function of the length at each sampling step: 10, 11 and 12 tokens.
        Assert.Equal([20, 21, 22], events.OfType<TokenGenerated>().Select(t => t.TokenId));
        var finished = Assert.IsType<GenerationFinished>(events[^1]);
        Assert.Equal(FinishReason.Length, finished.Reason);
        Assert.Equal((10, 3), (finished.Usage.PromptTokens, finished.Usage.CompletionTokens));
        Assert.Equal(0, engine.Allocator.UsedBlocks);
    }

    [Fact]
    public void TheBlockTableRecordsExactlyWhatEachStepComputed()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4, prefillChunkSize: 3);
        var id = engine.Submit(promptLength: 7, maxTokens: 5);
        var sequence = engine.SequenceOf(id);

        var computed = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            engine.Step();
            computed.Add(sequence.Kv!.Length);
        }

        Assert.Equal([3, 6, 7, 8], computed);
        Assert.Equal(sequence.Tokens.Take(8), sequence.Kv!.Tokens);
    }

    [Fact]
    public void TheTokenBudgetCapsEveryStep_RunningSequencesFirst()
    {
        using var engine = new StepCoreFixture(totalBlocks: 64, blockSize: 4, maxBatchedTokens: 8, prefillChunkSize: 8);
        var a = engine.Submit(promptLength: 10, maxTokens: 4);
        var b = engine.Submit(promptLength: 10, maxTokens: 4);
        var c = engine.Submit(promptLength: 3, maxTokens: 4);

        var steps = new List<RecordedStep>();
        while (engine.Requests.Count > 0)
        {
            steps.Add(engine.Step()!);
        }

        Assert.All(steps, s => Assert.InRange(s.TokenCount, 1, 8));
        Assert.Equal([(a, 8)], steps[0].Work);
        Assert.Equal([(a, 2), (b, 6)], steps[1].Work);
        Assert.Equal([(a, 1), (b, 4), (c, 3)], steps[2].Work);
        Assert.All(new[] { a, b, c }, id => Assert.IsType<GenerationFinished>(engine.Events(id)[^1]));
    }

    [Fact]
    public void TheDeadlineRunsOnTheInjectedClock_FromSubmission_QueuedOrGenerating()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4, requestTimeout: TimeSpan.FromSeconds(5));
        var generating = engine.Submit(promptLength: 4, maxTokens: 100);
        engine.Step();
        engine.Clock.Advance(TimeSpan.FromSeconds(3));
        var queued = engine.Submit(promptLength: 4, maxTokens: 100, deadline: engine.Clock.GetUtcNow().AddSeconds(1));
        engine.Step();
        Assert.Equal(2, engine.Requests.Count);

        engine.Clock.Advance(TimeSpan.FromSeconds(1));
        engine.Step();
        var early = Assert.IsType<GenerationFailed>(engine.Events(queued)[^1]);
        Assert.Equal("deadline_exceeded", early.Code);
        Assert.Equal(1, engine.Requests.Count);

        engine.Clock.Advance(TimeSpan.FromSeconds(1));
        engine.Step();
        var late = Assert.IsType<GenerationFailed>(engine.Events(generating)[^1]);
        Assert.Equal("deadline_exceeded", late.Code);
        Assert.Contains("while generating", late.Message);
        Assert.Equal(0, engine.Requests.Count);
        Assert.Equal(0, engine.Allocator.UsedBlocks);
    }

    [Fact]
    public void WithoutADeadline_TheClockCanRunForeverAndNothingExpires()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4);
        var id = engine.Submit(promptLength: 4, maxTokens: 3);
        engine.Clock.Advance(TimeSpan.FromDays(30));
        engine.RunToCompletion();
        Assert.Equal(FinishReason.Length, Assert.IsType<GenerationFinished>(engine.Events(id)[^1]).Reason);
    }

    [Fact]
    public void CancellingFreesTheBlocksAndEndsTheStreamAsCancelled()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4);
        var id = engine.Submit(promptLength: 9, maxTokens: 100);
        engine.Step();
        Assert.True(engine.Allocator.UsedBlocks > 0);

        engine.Cancel(id);
        engine.Step();

        Assert.Equal(FinishReason.Cancelled, Assert.IsType<GenerationFinished>(engine.Events(id)[^1]).Reason);
        Assert.Equal(0, engine.Allocator.UsedBlocks);
        Assert.Equal([id], engine.Completed);
    }

    [Fact]
    public void EosAndStopTokensFinishWithStop_WithoutStreamingTheStopToken()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4);
        engine.Runner.NextToken = sequence => sequence.GeneratedCount == 2 ? StepCoreFixture.EosTokenId : 40;
        var id = engine.Submit(promptLength: 4, maxTokens: 10);

        engine.RunToCompletion();

        var events = engine.Events(id);
        Assert.Equal([40, 40], events.OfType<TokenGenerated>().Select(t => t.TokenId));
        Assert.Equal(FinishReason.Stop, Assert.IsType<GenerationFinished>(events[^1]).Reason);
    }

    [Fact]
    public void ASessionIsBusyFromSubmissionUntilItsFinalEvent_AndKeepsItsBlocks()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4);
        var first = engine.Submit(promptLength: 6, maxTokens: 2, session: "chat");
        Assert.Throws<SessionBusyException>(() => engine.Submit(promptLength: 6, maxTokens: 2, session: "chat"));
        Assert.True(engine.Sessions.TryGet(new("", "chat"), out var session));
        Assert.True(session.Active);

        engine.RunToCompletion();

        Assert.IsType<GenerationFinished>(engine.Events(first)[^1]);
        Assert.False(session.Active);
        Assert.Equal(7, session.Sequence.Length);
        Assert.Equal(2, engine.Allocator.UsedBlocks);
        engine.Submit(promptLength: 8, maxTokens: 2, session: "chat");
    }
}
