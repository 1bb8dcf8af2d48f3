using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

public class ContinuousBatchingTests(ITestOutputHelper output)
{
    /// <summary>Random prompts of mixed lengths (BOS first), each with its own output length.</summary>
    private static List<(int[] Prompt, int MaxTokens)> MixedWorkload(int count, int seed)
    {
        var random = new Random(seed);
        var work = new List<(int[] Prompt, int MaxTokens)>();
        while (work.Count < count)
        {
            var prompt = new int[random.Next(1, 120)];
            prompt[0] = 1;
            for (var i = 1; i < prompt.Length; i++) prompt[i] = random.Next(3, TinyCheckpoints.StoriesShapedVocabSize);
            work.Add((prompt, random.Next(1, 150)));
        }
        return work;
    }

    [Fact]
    public async Task ThirtyTwoConcurrentGreedyRequests_ProduceExactlyTheirSoloIds()
    {
        var work = MixedWorkload(32, seed: 1);
        await using var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o => o.PrefillChunkSize = 64);
        var solo = new List<IReadOnlyList<int>>();
        foreach (var (prompt, maxTokens) in work)
        {
            solo.Add((await harness.RunAsync(EngineHarness.Greedy(prompt, maxTokens))).TokenIds);
        }

        var together = await Task.WhenAll(work.Select(w => harness.RunAsync(EngineHarness.Greedy(w.Prompt, w.MaxTokens))));

        for (var i = 0; i < work.Count; i++)
        {
            Assert.Equal(solo[i], together[i].TokenIds);
        }
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task TinyKvBudget_ForcesPreemption_YetIdsMatchAndEveryBlockIsFreed()
    {
        var work = MixedWorkload(12, seed: 2).Select(w => (w.Prompt, MaxTokens: 180)).ToList();
        await using var reference = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output);
        var expected = await Task.WhenAll(work.Select(w => reference.RunAsync(EngineHarness.Greedy(w.Prompt, w.MaxTokens))));

        // 1 MiB = 51 blocks of 16 tokens at stories260K's shape: far less than 12 requests of ~250 tokens need at once.
        await using var constrained = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o => o.KvCacheMiB = 1);
        var actual = await Task.WhenAll(work.Select(w => constrained.RunAsync(EngineHarness.Greedy(w.Prompt, w.MaxTokens))));

        Assert.True(actual.Sum(a => a.Finished!.Usage.Preemptions) > 0, "the budget was meant to force preemption");
        for (var i = 0; i < work.Count; i++)
        {
            Assert.Equal(expected[i].TokenIds, actual[i].TokenIds);
        }
        Assert.True(await constrained.WaitForAsync(s => s.BlocksUsed == 0 && s.BlocksFree + s.BlocksCachedFree == s.BlocksTotal, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task CancellingHalfOfFortyRequests_LeaksNothing_AndTheOtherHalfIsCorrect()
    {
        var work = MixedWorkload(40, seed: 3).Select(w => (w.Prompt, MaxTokens: Math.Max(w.MaxTokens, 40))).ToList();
        await using var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output);
        var expected = new List<IReadOnlyList<int>>();
        foreach (var (prompt, maxTokens) in work.Where((_, i) => i % 2 == 0))
        {
            expected.Add((await harness.RunAsync(EngineHarness.Greedy(prompt, maxTokens))).TokenIds);
        }

        var random = new Random(4);
        var handles = work.Select(w => harness.Engine.Submit(EngineHarness.Greedy(w.Prompt, w.MaxTokens))).ToList();
        var runs = handles.Select((handle, i) => i % 2 == 0
            ? EngineHarness.CollectAsync(handle)
            : CancelAfterAsync(handle, random.Next(0, 30))).ToList();
        var outcomes = await Task.WhenAll(runs);

        for (var i = 0; i < work.Count; i += 2)
        {
            Assert.Equal(expected[i / 2], outcomes[i].TokenIds);
        }
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(2)), "blocks leaked after cancellation");
        foreach (var handle in handles) handle.Dispose();
    }

    private static async Task<GenerationResult> CancelAfterAsync(GenerationHandle handle, int milliseconds)
    {
        await Task.Delay(milliseconds);
        handle.Cancel();
        return await EngineHarness.CollectAsync(handle);
    }

    [Fact]
    public async Task BurstBeyondTheQueueLimit_IsRejectedAtOnce_WhileAdmittedRequestsComplete()
    {
        await using var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o =>
        {
            o.MaxSequencesPerStep = 4;
            o.MaxWaitingRequests = 4;
        });
        var admitted = new List<GenerationHandle>();
        var rejected = new List<EngineOverloadedException>();
        for (var i = 0; i < 30; i++)
        {
            try
            {
                admitted.Add(harness.Engine.Submit(EngineHarness.Greedy([1, 403, 407], 100)));
            }
            catch (EngineOverloadedException exception)
            {
                rejected.Add(exception);
            }
        }

        Assert.Equal(8, admitted.Count);
        Assert.Equal(22, rejected.Count);
        Assert.All(rejected, r => Assert.True(r.RetryAfter >= TimeSpan.FromSeconds(1)));
        var outcomes = await Task.WhenAll(admitted.Select(h => EngineHarness.CollectAsync(h)));
        Assert.All(outcomes, o => Assert.Equal(100, o.TokenIds.Count));
        foreach (var handle in admitted) handle.Dispose();
    }
}
