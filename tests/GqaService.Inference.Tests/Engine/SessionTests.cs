using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

public class SessionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SecondTurn_PrefillsOnlyTheNewTokens_AndEqualsAFreshFullPrompt()
    {
        await using var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output);
        int[] firstPrompt = [1, 403, 407, 261, 378];
        var first = await harness.RunAsync(EngineHarness.Greedy(firstPrompt, 40, session: "s1"));
        var secondPrompt = firstPrompt.Concat(first.TokenIds).Concat([432, 383, 286]).ToArray();

        var second = await harness.RunAsync(EngineHarness.Greedy(secondPrompt, 50, session: "s1"));
        var fresh = await harness.RunAsync(EngineHarness.Greedy(secondPrompt, 50));

        // Everything the first turn computed is reused: its prompt and all generated tokens but the last (never fed back).
        Assert.Equal(firstPrompt.Length + first.TokenIds.Count - 1, second.Finished!.Usage.CachedPromptTokens);
        Assert.Equal(fresh.TokenIds, second.TokenIds);
        var session = harness.Engine.GetSession("", "s1");
        Assert.NotNull(session);
        Assert.Equal(secondPrompt.Length + 49, session.Tokens);
    }

    [Fact]
    public async Task DivergingPrompt_RecomputesAfterTheCommonPrefix_AndStillMatches()
    {
        await using var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output);
        var random = new Random(9);
        var shared = new[] { 1 }.Concat(Enumerable.Range(0, 40).Select(_ => random.Next(3, 512))).ToArray();
        await harness.RunAsync(EngineHarness.Greedy(shared.Concat([300, 301, 302]).ToArray(), 10, session: "s2"));

        var diverged = shared.Concat([400, 401]).ToArray();
        var again = await harness.RunAsync(EngineHarness.Greedy(diverged, 30, session: "s2"));
        var fresh = await harness.RunAsync(EngineHarness.Greedy(diverged, 30));

        Assert.Equal(shared.Length, again.Finished!.Usage.CachedPromptTokens);
        Assert.Equal(fresh.TokenIds, again.TokenIds);
    }

    [Fact]
    public async Task ConcurrentRequestInABusySession_IsRejected_AndDeleteFreesItsBlocks()
    {
        await using var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output);
        using var running = harness.Engine.Submit(EngineHarness.Greedy([1, 403], 300, session: "busy"));
        Assert.Throws<SessionBusyException>(() => harness.Engine.Submit(EngineHarness.Greedy([1, 403], 5, session: "busy")));
        await EngineHarness.CollectAsync(running);

        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed > 0 && s.Sessions.Count == 1, TimeSpan.FromSeconds(2)));
        Assert.True(await harness.Engine.DeleteSessionAsync("", "busy"));
        Assert.False(await harness.Engine.DeleteSessionAsync("", "busy"));
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0 && s.Sessions.Count == 0, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task SharedPromptPrefix_AcrossRequests_IsServedFromSharedBlocks()
    {
        await using var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output);
        var random = new Random(10);
        var prefix = new[] { 1 }.Concat(Enumerable.Range(0, 47).Select(_ => random.Next(3, 512))).ToArray(); // 3 full blocks
        using var holder = harness.Engine.Submit(EngineHarness.Greedy(prefix.Concat([5]).ToArray(), 400));
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed >= 4, TimeSpan.FromSeconds(5)), "the first request never prefilled");

        var second = await harness.RunAsync(EngineHarness.Greedy(prefix.Concat([6, 7]).ToArray(), 5));
        var fresh = await EngineHarness.CollectAsync(holder);

        Assert.Equal(48, second.Finished!.Usage.CachedPromptTokens);
        Assert.Equal(400, fresh.TokenIds.Count);
    }
}
