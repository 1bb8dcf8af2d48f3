using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

/// <summary>Automatic prefix caching in the real engine (stories260K-shaped model, block size 16): repeats reuse what a
/// finished request left in the pool, produce what a cold engine produces, and tenants never see each other's prefixes.</summary>
public class PrefixCacheTests(ITestOutputHelper output)
{
    private static int[] RandomPrompt(int seed, int length)
    {
        var random = new Random(seed);
        return [1, .. Enumerable.Range(0, length - 1).Select(_ => random.Next(3, TinyCheckpoints.StoriesShapedVocabSize))];
    }

    private static void AssertNothingHeld(MemorySnapshot snapshot)
    {
        Assert.Equal(0, snapshot.BlocksUsed);
        Assert.Equal(snapshot.BlocksTotal, snapshot.BlocksFree + snapshot.BlocksCachedFree);
        Assert.Equal(snapshot.BlocksCachedFree, snapshot.CachedFreeBlockIds.Count);
    }

    [Fact]
    public async Task RepeatedPrompt_ReusesItsCachedFullBlocks_AndEqualsAColdRun()
    {
        var prompt = RandomPrompt(seed: 21, length: 45);
        await using var cold = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o => o.PrefixCaching = false);
        var coldRun = await cold.RunAsync(EngineHarness.Greedy(prompt, 40));
        var coldRepeat = await cold.RunAsync(EngineHarness.Greedy(prompt, 40));
        await using var warm = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output);

        var first = await warm.RunAsync(EngineHarness.Greedy(prompt, 40));
        var repeat = await warm.RunAsync(EngineHarness.Greedy(prompt, 40));

        Assert.Equal(0, coldRepeat.Finished!.Usage.CachedPromptTokens);
        Assert.Equal(0, first.Finished!.Usage.CachedPromptTokens);
        // 45 prompt tokens: two full blocks before the block holding the last prompt token.
        Assert.Equal(32, repeat.Finished!.Usage.CachedPromptTokens);
        Assert.Equal(coldRun.TokenIds, first.TokenIds);
        Assert.Equal(coldRun.TokenIds, repeat.TokenIds);
        Assert.True(await cold.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(5)));
        Assert.Equal(0, cold.Engine.GetMemorySnapshot().BlocksCachedFree);
        Assert.False(cold.Engine.GetMemorySnapshot().PrefixCaching);
        Assert.True(await warm.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(5)));
        var snapshot = warm.Engine.GetMemorySnapshot();
        AssertNothingHeld(snapshot);
        Assert.True(snapshot.PrefixCaching);
        Assert.True(snapshot.BlocksCachedFree >= 5, $"{snapshot.BlocksCachedFree} blocks cached");
    }

    [Fact]
    public async Task ConversationWithoutSession_ReusesThePromptAndTheGeneratedBlocks_AndEqualsAColdRun()
    {
        var prompt = RandomPrompt(seed: 22, length: 45);
        await using var warm = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output);
        var first = await warm.RunAsync(EngineHarness.Greedy(prompt, 40));
        int[] next = [.. prompt, .. first.TokenIds, 300];

        var second = await warm.RunAsync(EngineHarness.Greedy(next, 30));
        await using var cold = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o => o.PrefixCaching = false);
        var coldSecond = await cold.RunAsync(EngineHarness.Greedy(next, 30));

        // The first request held 45 + 40 - 1 tokens of K/V: five full blocks, all of them still cached.
        Assert.Equal(80, second.Finished!.Usage.CachedPromptTokens);
        Assert.Equal(coldSecond.TokenIds, second.TokenIds);
    }

    [Fact]
    public async Task SecondTenant_SendingTheSamePrompt_GetsNoCachedTokens_WhileTheFirstTenantDoes()
    {
        var prompt = RandomPrompt(seed: 23, length: 40);
        await using var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output);
        var alice = await harness.RunAsync(EngineHarness.Greedy(prompt, 20) with { Tenant = "alice" });

        var mallory = await harness.RunAsync(EngineHarness.Greedy(prompt, 20) with { Tenant = "mallory" });
        var aliceAgain = await harness.RunAsync(EngineHarness.Greedy(prompt, 20) with { Tenant = "alice" });
        var noKeys = await harness.RunAsync(EngineHarness.Greedy(prompt, 20));

        Assert.Equal(0, mallory.Finished!.Usage.CachedPromptTokens);
        Assert.Equal(32, aliceAgain.Finished!.Usage.CachedPromptTokens);
        Assert.Equal(0, noKeys.Finished!.Usage.CachedPromptTokens);
        Assert.Equal(alice.TokenIds, mallory.TokenIds);
        Assert.Equal(alice.TokenIds, aliceAgain.TokenIds);
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(5)));
        AssertNothingHeld(harness.Engine.GetMemorySnapshot());
    }

    [Fact]
    public async Task TinyPool_SharedSystemPrompt_PreemptionsAndCacheHits_IdsMatchAColdEngine_AndNothingLeaks()
    {
        var system = RandomPrompt(seed: 24, length: 48);
        var random = new Random(25);
        var prompts = Enumerable.Range(0, 10)
            .Select(_ => system.Concat(Enumerable.Range(0, random.Next(1, 30)).Select(_ => random.Next(3, TinyCheckpoints.StoriesShapedVocabSize))).ToArray())
            .ToList();
        await using var reference = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o => o.PrefixCaching = false);
        var expected = new List<IReadOnlyList<int>>();
        foreach (var prompt in prompts)
        {
            expected.Add((await reference.RunAsync(EngineHarness.Greedy(prompt, 150))).TokenIds);
        }

        // 1 MiB = 51 blocks of 16 tokens at this shape: ten requests of ~200 tokens cannot all fit at once.
        await using var constrained = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o => o.KvCacheMiB = 1);
        await constrained.RunAsync(EngineHarness.Greedy(system, 1));
        var actual = await Task.WhenAll(prompts.Select(p => constrained.RunAsync(EngineHarness.Greedy(p, 150))));

        Assert.True(actual.Sum(a => a.Finished!.Usage.Preemptions) > 0, "the budget was meant to force preemption");
        Assert.True(actual.Sum(a => a.Finished!.Usage.CachedPromptTokens) >= 32, "the shared system prompt was never reused");
        for (var i = 0; i < prompts.Count; i++)
        {
            Assert.Equal(expected[i], actual[i].TokenIds);
        }
        Assert.True(await constrained.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(5)));
        AssertNothingHeld(constrained.Engine.GetMemorySnapshot());
    }
}
