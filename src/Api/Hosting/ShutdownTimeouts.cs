using System.Globalization;
using GqaService.Inference.Engine;

namespace GqaService.Api.Hosting;

/// <summary>
/// The host's own shutdown timeout sits above the engine's drain (<c>Inference:ShutdownTimeoutSeconds</c>): the drain ends
/// every stream with its last events, and the margin lets those be written before the server closes the connections.
/// With the host's default (30 s) a longer drain would be cut short and clients would see resets.
/// </summary>
public static class ShutdownTimeouts
{
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(5);

    private static readonly string DrainKey = $"{EngineOptions.SectionName}:{nameof(EngineOptions.ShutdownTimeoutSeconds)}";

    public static IServiceCollection AddShutdownAfterDrain(this IServiceCollection services)
    {
        services.AddOptions<HostOptions>().Configure<IConfiguration>((host, configuration) => host.ShutdownTimeout = HostTimeout(configuration));
        return services;
    }

    /// <summary>
    /// Read from the raw setting, so a malformed value does not fail here while the host is built: the engine's options
    /// validation reports it at start, naming the key.
    /// </summary>
    public static TimeSpan HostTimeout(IConfiguration configuration)
    {
        var drainSeconds = int.TryParse(configuration[DrainKey], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? seconds
            : new EngineOptions().ShutdownTimeoutSeconds;
        return TimeSpan.FromSeconds(drainSeconds) + Margin;
    }
}
