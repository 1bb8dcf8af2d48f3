using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

public class RequestIdentityTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DuplicateRequestId_FailsTheNewcomer_AndTheFirstCompletes()
    {
        await using var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output);
        var first = EngineHarness.Greedy([1, 403], 200);
        using var running = harness.Engine.Submit(first);
        using var duplicate = harness.Engine.Submit(first with { MaxTokens = 5 });

        var duplicateOutcome = await EngineHarness.CollectAsync(duplicate);
        duplicate.Cancel(); // must not reach the first request, which shares the id
        var firstOutcome = await EngineHarness.CollectAsync(running);

        Assert.Equal("duplicate_request_id", duplicateOutcome.Failed?.Code);
        Assert.Equal(200, firstOutcome.TokenIds.Count);
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(2)));
    }
}
