using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Engine;

/// <summary>The prefix cache through the step machinery (scheduler, registry, fake runner): what a repeat computes, what
/// it reports, and that cached blocks count as free for admission and never cost another request its blocks.</summary>
public sealed class PrefixCacheSchedulingTests
{
    private static readonly int[] Prompt = [1, 17, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61];

    [Fact]
    public void A_repeated_prompt_computes_only_past_its_cached_full_blocks_and_reports_them()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4, prefixCaching: true);
        engine.Submit(0, maxTokens: 3, prompt: Prompt);
        engine.RunToCompletion();
        Assert.Equal(3, engine.Allocator.CachedBlocks);

        var repeat = engine.Submit(0, maxTokens: 3, prompt: Prompt);
        // Queued, it pins nothing: the cached blocks are taken when it starts.
        Assert.Equal(3, engine.Allocator.CachedBlocks);
        var firstStep = engine.Step()!;
        engine.RunToCompletion();

        // 12 prompt tokens in three full blocks; the block holding the last one is computed again for its logits.
        Assert.Contains((repeat, 4), firstStep.Work);
        var finished = Assert.IsType<GenerationFinished>(engine.Events(repeat)[^1]);
        Assert.Equal(8, finished.Usage.CachedPromptTokens);
        Assert.Equal(0, engine.Allocator.UsedBlocks);
        Assert.Equal(16, engine.Allocator.FreeBlocks);
    }

    [Fact]
    public void Another_tenants_identical_prompt_gets_no_cached_tokens()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4, prefixCaching: true);
        engine.Submit(0, maxTokens: 3, prompt: Prompt, tenant: "alice");
        engine.RunToCompletion();

        var other = engine.Submit(0, maxTokens: 3, prompt: Prompt, tenant: "mallory");
        var own = engine.Submit(0, maxTokens: 3, prompt: Prompt, tenant: "alice");
        var firstStep = engine.Step()!;
        engine.RunToCompletion();

        Assert.Contains((other, 12), firstStep.Work);
        Assert.Contains((own, 4), firstStep.Work);
        Assert.Equal(0, Assert.IsType<GenerationFinished>(engine.Events(other)[^1]).Usage.CachedPromptTokens);
        Assert.Equal(8, Assert.IsType<GenerationFinished>(engine.Events(own)[^1]).Usage.CachedPromptTokens);
    }

    [Fact]
    public void With_caching_off_a_repeat_computes_everything_and_nothing_stays_cached()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4, prefixCaching: false);
        engine.Submit(0, maxTokens: 3, prompt: Prompt);
        engine.RunToCompletion();
        Assert.Equal(0, engine.Allocator.CachedBlocks);

        var repeat = engine.Submit(0, maxTokens: 3, prompt: Prompt);
        var firstStep = engine.Step()!;
        engine.RunToCompletion();

        Assert.Contains((repeat, 12), firstStep.Work);
        Assert.Equal(0, Assert.IsType<GenerationFinished>(engine.Events(repeat)[^1]).Usage.CachedPromptTokens);
        Assert.Equal(16, engine.Allocator.EmptyBlocks);
    }

    [Fact]
    public void A_request_that_fits_only_by_evicting_cached_blocks_is_admitted_at_once_and_preempts_nobody()
    {
        using var engine = new StepCoreFixture(totalBlocks: 12, blockSize: 4, prefixCaching: true);
        engine.Submit(promptLength: 16, maxTokens: 2);
        engine.RunToCompletion();
        Assert.Equal((4, 8), (engine.Allocator.CachedBlocks, engine.Allocator.EmptyBlocks));
        var runner = engine.Submit(promptLength: 8, maxTokens: 30);
        engine.Step();

        // 24 prompt tokens plus the expected 2 of output need 7 blocks; with one sequence running, the 6 empty blocks are
        // not enough (less the running sequence's next block), the 4 cached ones make it fit.
        var large = engine.Submit(promptLength: 24, maxTokens: 2);
        Assert.Equal(6, engine.Allocator.EmptyBlocks);
        var step = engine.Step()!;

        Assert.Contains((large, 24), step.Work);
        Assert.Contains((runner, 1), step.Work);
        Assert.Empty(step.Preempted);
        Assert.Equal(3, engine.Allocator.CachedBlocks);
        engine.RunToCompletion();
        Assert.All(engine.Runner.Steps, s => Assert.Empty(s.Preempted));
        Assert.Equal(0, engine.SequenceOf(large).Preemptions);
        Assert.Equal(0, engine.SequenceOf(runner).Preemptions);
        Assert.Equal((0, 12), (engine.Allocator.UsedBlocks, engine.Allocator.FreeBlocks));
    }

    [Fact]
    public void A_preempted_request_resumes_from_its_own_cached_blocks()
    {
        using var engine = new StepCoreFixture(totalBlocks: 8, blockSize: 4, prefixCaching: true);
        // A one-token answer first, so admission expects short outputs and lets both requests start together.
        engine.Submit(promptLength: 4, maxTokens: 1);
        engine.RunToCompletion();
        var older = engine.Submit(promptLength: 8, maxTokens: 14);
        var newer = engine.Submit(promptLength: 8, maxTokens: 14);
        engine.RunToCompletion();

        var preempted = engine.SequenceOf(newer);
        Assert.True(preempted.Preemptions > 0, "the pool was meant to force a preemption");
        Assert.Equal(0, engine.SequenceOf(older).Preemptions);
        // What it had computed went to the cache; resuming found some of it there instead of computing it again.
        var computedBeforePreemption = engine.Runner.Steps
            .TakeWhile(s => !s.Preempted.Contains(newer))
            .Sum(s => s.Work.Where(w => w.RequestId == newer).Sum(w => w.Tokens));
        var computedInAll = engine.Runner.Steps.Sum(s => s.Work.Where(w => w.RequestId == newer).Sum(w => w.Tokens));
        var finished = Assert.IsType<GenerationFinished>(engine.Events(newer)[^1]);
        Assert.Equal(computedInAll - (8 + 13), finished.Usage.RecomputedTokens);
        Assert.True(finished.Usage.RecomputedTokens < computedBeforePreemption,
            $"recomputed {finished.Usage.RecomputedTokens} of the {computedBeforePreemption} tokens computed before the preemption");
        Assert.Equal((0, 8), (engine.Allocator.UsedBlocks, engine.Allocator.FreeBlocks));
    }
}
