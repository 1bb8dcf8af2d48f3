using Microsoft.Extensions.Hosting;

namespace GqaService.Inference.Engine;

/// <summary>
/// Ties the engine's lifetime to the host: start blocks until the model is loaded; the drain runs in
/// <see cref="StoppingAsync"/>, which the host calls before any hosted service's <c>StopAsync</c>, so before the web
/// server stops. While the engine drains, the server still answers: new requests get 503, and every stream in flight
/// receives its last events (its finish, or <c>shutting_down</c> once the drain time is up) before connections close.
/// </summary>
public sealed class EngineHostedService(InferenceEngine engine) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => engine.StartAsync().WaitAsync(cancellationToken);

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => engine.StopAsync().WaitAsync(cancellationToken);

    /// <summary>Already done by <see cref="StoppingAsync"/> in a host; kept for hosts that only call StopAsync.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync().WaitAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
