using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Engine;

/// <summary>n choices through the step machinery with a recording fake runner: what each step computed and sampled, block by block.</summary>
public sealed class ParallelChoicesStepTests
{
    [Fact]
    public void ThePromptIsComputedOnce_ItsLastChunkSamplesEveryChoice_ThenEachChoiceDecodesOnSharedBlocks()
    {
        using var fixture = new StepCoreFixture(totalBlocks: 64, blockSize: 4, prefillChunkSize: 6);
        var ids = fixture.SubmitChoices("r", promptLength: 14, maxTokens: 5, choices: 3);

        var prefill = new[] { fixture.Step()!, fixture.Step()!, fixture.Step()! };
        var leaderBlocks = fixture.SequenceOf("r").Kv!.Blocks.ToArray();
        var forkBlocks = ids.Skip(1).Select(id => fixture.SequenceOf(id).Kv!.Blocks.ToArray()).ToList();
        var referencesAfterFork = leaderBlocks.Select(fixture.Allocator.RefCount).ToArray();
        var decode = fixture.Step()!;

        // 14 prompt tokens in chunks of 6, 6, 2, computed for choice 0 alone; its last chunk samples all three choices.
        Assert.Equal([("r", 6)], prefill[0].Work);
        Assert.Equal([("r", 6)], prefill[1].Work);
        Assert.Equal([("r", 2)], prefill[2].Work);
        Assert.Empty(prefill[0].Sampled);
        Assert.Equal(["r", "r", "r"], prefill[2].Sampled);
        // Right after the fork every choice holds the same four blocks (the last one partial), each referenced three times.
        Assert.All(forkBlocks, blocks => Assert.Equal(leaderBlocks, blocks));
        Assert.Equal([3, 3, 3, 3], referencesAfterFork);
        // Then one token each per step, the prompt never again.
        Assert.Equal(ids.Select(id => (id, 1)), decode.Work);
        Assert.Equal(ids, decode.Sampled);
        // Each choice wrote its first token into a private copy of the shared partial block (copy-on-write): the full blocks stay shared.
        Assert.All(leaderBlocks.Take(3), block => Assert.Equal(3, fixture.Allocator.RefCount(block)));
        Assert.Equal(3, ids.Select(id => fixture.SequenceOf(id).Kv!.Blocks[3]).Distinct().Count());

        fixture.RunToCompletion();
        var events = ids.Select(fixture.Events).ToList();
        Assert.All(events, e => Assert.IsType<GenerationFinished>(e[^1]));
        Assert.All(events, e => Assert.Equal(5, e.OfType<TokenGenerated>().Count()));
        Assert.Equal(64, fixture.Allocator.FreeBlocks);
    }

    [Fact]
    public void CancellingAParkedChoiceBeforeTheFork_LeavesTheOthers_AndCancellingTheLeaderEndsTheParked()
    {
        using var fixture = new StepCoreFixture(totalBlocks: 64, blockSize: 4, prefillChunkSize: 4);
        var ids = fixture.SubmitChoices("r", promptLength: 12, maxTokens: 3, choices: 3);

        fixture.Step();
        fixture.Cancel(ids[1]);
        var next = fixture.Step()!;
        fixture.Cancel(ids[0]);
        fixture.Step();

        Assert.Equal([("r", 4)], next.Work);
        Assert.All(ids, id => Assert.Equal(FinishReason.Cancelled, Assert.IsType<GenerationFinished>(fixture.Events(id)[^1]).Reason));
        Assert.Equal(0, fixture.Requests.Count);
        Assert.Equal(64, fixture.Allocator.FreeBlocks);
    }
}
