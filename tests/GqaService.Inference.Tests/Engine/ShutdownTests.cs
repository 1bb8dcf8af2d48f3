using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

public class ShutdownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Stop_LetsInFlightRequestsFinish_ThenRefusesNewOnes()
    {
        // The drain ends as soon as nothing is in flight; a generous drain keeps the test independent of the machine's
        // speed (with the GC-pressure tests running beside it, 300 tokens took longer than the default 10 s).
        var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o => o.ShutdownTimeoutSeconds = 300);
        using var running = harness.Engine.Submit(EngineHarness.Greedy([1, 403, 407], 300));

        var stopping = harness.Engine.StopAsync();
        Assert.Throws<EngineUnavailableException>(() => harness.Engine.Submit(EngineHarness.Greedy([1], 5)));
        var outcome = await EngineHarness.CollectAsync(running);
        await stopping;

        Assert.Equal(FinishReason.Length, outcome.Finished!.Reason);
        Assert.Equal(300, outcome.TokenIds.Count);
        Assert.Equal(0, harness.Engine.GetMemorySnapshot().BlocksUsed);
        harness.Engine.Dispose();
    }

    [Fact]
    public async Task Stop_PastTheDrainTimeout_FailsWhatIsLeft_AndFreesEverything()
    {
        var harness = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o => o.ShutdownTimeoutSeconds = 0);
        // Far more work than can finish before a zero drain timeout runs out.
        var handles = Enumerable.Range(0, 8).Select(_ => harness.Engine.Submit(EngineHarness.Greedy([1, 403], 500))).ToList();

        await harness.Engine.StopAsync();
        var outcomes = await Task.WhenAll(handles.Select(h => EngineHarness.CollectAsync(h)));

        Assert.All(outcomes, o => Assert.Equal("shutting_down", o.Failed?.Code));
        Assert.Equal(0, harness.Engine.GetMemorySnapshot().BlocksUsed);
        foreach (var handle in handles) handle.Dispose();
        harness.Engine.Dispose();
    }
}
