using GqaService.Api.Generation;
using GqaService.Api.Hosting;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Observability;

/// <summary>
/// Logs the <see cref="StartupSummary"/> once the host has started: by then the model is loaded (the engine's hosted
/// service finished starting) and Kestrel knows the addresses it bound.
/// </summary>
internal sealed class StartupSummaryService(
    IHostApplicationLifetime lifetime, IServer server, IInferenceEngine engine, IChatTemplate chatTemplate,
    IOptions<EngineOptions> engineOptions, IOptions<ApiOptions> apiOptions, ILogger<StartupSummaryService> logger) : IHostedService
{
    public StartupSummary? Summary { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var urls = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
            Summary = StartupSummary.Create(engine, chatTemplate, engineOptions.Value, apiOptions.Value, urls);
            StartupSummaryLog.Write(logger, Summary);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
