using GqaService.Inference.Engine;
using GqaService.Inference.Sampling;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using Microsoft.Extensions.Options;

namespace GqaService.Inference.Tests.Support;

/// <summary>Starts a real engine in process and collects what requests produce.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private static int _ids;

    private EngineHarness(InferenceEngine engine) => Engine = engine;

    public InferenceEngine Engine { get; }

    /// <param name="output">Where the engine's log goes (pass the test's output helper so engine errors show in the report).</param>
    public static async Task<EngineHarness> StartAsync(string? modelPath, ITestOutputHelper output, Action<EngineOptions>? configure = null)
    {
        var options = new EngineOptions { ModelPath = modelPath, RequestTimeoutSeconds = 0, KvCacheMiB = 64 };
        configure?.Invoke(options);
        var logger = new TestOutputLogger<InferenceEngine>(output);
        var engine = new InferenceEngine(Options.Create(options), logger);
        await engine.StartAsync();
        return new EngineHarness(engine);
    }

    public static GenerationRequest Greedy(IReadOnlyList<int> prompt, int maxTokens, string? session = null) => new()
    {
        RequestId = $"test-{Interlocked.Increment(ref _ids)}",
        PromptTokenIds = prompt,
        MaxTokens = maxTokens,
        IgnoreEos = true,
        Sampling = SamplingParameters.Greedy,
        SessionId = session,
    };

    /// <summary>Runs a request to its end and fails the test with the engine's own error if the generation failed.</summary>
    public async Task<GenerationResult> RunAsync(GenerationRequest request)
    {
        using var handle = Engine.Submit(request);
        var result = await CollectAsync(handle);
        if (result.Failed is { } failed)
        {
            Assert.Fail($"{request.RequestId} failed after {result.TokenIds.Count} tokens: {failed.Code}: {failed.Message}");
        }
        return result;
    }

    public static Task<GenerationResult> CollectAsync(GenerationHandle handle, CancellationToken cancellationToken = default) =>
        GenerationResult.CollectAsync(handle, cancellationToken);

    /// <summary>Waits (bounded) until the engine publishes a snapshot satisfying <paramref name="condition"/>.</summary>
    public async Task<bool> WaitForAsync(Func<GqaService.Inference.KvCache.MemorySnapshot, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition(Engine.GetMemorySnapshot()))
            {
                return true;
            }
            await Task.Delay(10);
        }
        return condition(Engine.GetMemorySnapshot());
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync();
        Engine.Dispose();
    }

}
