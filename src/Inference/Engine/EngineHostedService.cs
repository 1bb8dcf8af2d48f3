using Microsoft.Extensions.Hosting;

namespace GqaService.Inference.Engine;

/// <summary>Ties the engine's lifetime to the host: start blocks until the model is loaded, stop drains in-flight work.</summary>
public sealed class EngineHostedService(InferenceEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => engine.StartAsync().WaitAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync().WaitAsync(cancellationToken);
}
