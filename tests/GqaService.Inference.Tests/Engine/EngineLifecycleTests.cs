using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

/// <summary>
/// Start, stop and dispose come from different owners (the host's stop, the container's disposal, a test) in any order and
/// from any thread. Each is safe in every order: no <c>ObjectDisposedException</c> from a disposed stop token, no
/// <c>ThreadStateException</c> from joining a thread that never started.
/// </summary>
public sealed class EngineLifecycleTests(ITestOutputHelper output)
{
    private readonly string _modelPath = TinyCheckpoints.StoriesShaped;
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task StopAsync_AfterDispose_ReturnsTheFinishedStop()
    {
        var harness = await EngineHarness.StartAsync(_modelPath, output: _output);
        harness.Engine.Dispose();

        var stop = harness.Engine.StopAsync();

        Assert.True(stop.IsCompletedSuccessfully);
        await stop;
    }

    [Fact]
    public async Task StopAndDispose_OfAnEngineNeverStarted_DoNotThrow()
    {
        using var neverStarted = new InferenceEngine(Microsoft.Extensions.Options.Options.Create(new EngineOptions { ModelPath = _modelPath }),
            new TestOutputLogger<InferenceEngine>(_output));

        await neverStarted.StopAsync();
        Assert.False(neverStarted.IsReady);
    }

    [Fact]
    public async Task StopAndDispose_RacingOnManyThreads_NeverThrow_AndTheRequestInFlightEnds()
    {
        for (var round = 0; round < 8; round++)
        {
            var harness = await EngineHarness.StartAsync(_modelPath, _output, o => o.ShutdownTimeoutSeconds = 0);
            using var running = harness.Engine.Submit(EngineHarness.Greedy([1, 5, 7], 200));
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var racers = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
            {
                await go.Task;
                if (i % 2 == 0)
                {
                    await harness.Engine.StopAsync();
                }
                else
                {
                    harness.Engine.Dispose();
                }
            })).ToList();

            go.SetResult();
            await Task.WhenAll(racers);
            var outcome = await EngineHarness.CollectAsync(running);

            Assert.True(outcome.Finished is not null || outcome.Failed?.Code == "shutting_down", $"round {round}: {outcome.Failed?.Code}");
            await harness.Engine.StopAsync();
        }
    }

    [Fact]
    public async Task Stop_WhileTheModelLoads_NeverReportsReady_AndRefusesRequests()
    {
        using var engine = new InferenceEngine(Microsoft.Extensions.Options.Options.Create(new EngineOptions { ModelPath = _modelPath, KvCacheMiB = 1 }),
            new TestOutputLogger<InferenceEngine>(_output));
        var loading = engine.StartAsync();

        await engine.StopAsync();
        await loading;

        Assert.False(engine.IsReady);
        var refusal = Assert.Throws<EngineUnavailableException>(() => engine.Submit(EngineHarness.Greedy([1], 2)));
        Assert.Contains("shutting down", refusal.Message);
    }
}
