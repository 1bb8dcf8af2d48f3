using Serilog.Events;

namespace GqaService.Api.Hosting;

/// <summary>
/// Runs the server and owns its exit code: 0 after an orderly stop (SIGTERM, Ctrl+C: the engine drains, every stream gets
/// its last events), 1 when it cannot start (bad model file, invalid configuration, port in use) or fails while stopping.
/// A failure is one line on stderr; its stack trace, when it is worth one, is logged once (the host's own report of the
/// same exception is filtered out by <see cref="IsHostReportOfFailure"/>).
/// </summary>
public static class ServerRunner
{
    public const int ExitStopped = 0;
    public const int ExitFailed = 1;

    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    public static async Task<int> RunAsync(Func<WebApplication> build, TextWriter? error = null)
    {
        error ??= Console.Error;
        WebApplication app;
        try
        {
            app = build();
        }
        // HostAbortedException is how WebApplicationFactory stops Program once it has the host; it is not a failure.
        catch (Exception exception) when (exception is not HostAbortedException)
        {
            await error.WriteLineAsync($"GqaService could not start: {StartupFailure.OneLine(exception)}");
            return ExitFailed;
        }
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServerRunner));
        var exitCode = ExitStopped;
        try
        {
            await app.StartAsync();
        }
        catch (Exception exception)
        {
            exitCode = await ReportAsync(error, logger, "could not start", exception);
        }
        if (exitCode == ExitStopped)
        {
            try
            {
                // Returns once the host has stopped: the engine drained in its StoppingAsync, then the server closed.
                await app.WaitForShutdownAsync();
            }
            catch (Exception exception)
            {
                exitCode = await ReportAsync(error, logger, "failed while stopping", exception);
            }
        }
        try
        {
            await app.DisposeAsync();
        }
        catch (Exception exception) when (exitCode == ExitStopped)
        {
            exitCode = await ReportAsync(error, logger, "failed while releasing its resources", exception);
        }
        catch (Exception exception)
        {
            // Already failing: the first failure is the one reported; this one goes to the log only.
            logger.LogWarning(exception, "Releasing the server's resources failed as well");
        }
        return exitCode;
    }

    /// <summary>
    /// The generic host logs a failed start or stop with its stack trace and then throws the same exception to the caller;
    /// <see cref="RunAsync"/> reports it, so the host's copy is dropped.
    /// </summary>
    public static bool IsHostReportOfFailure(LogEvent logEvent) =>
        logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: HostCategory }
        && logEvent.Properties.TryGetValue("EventId", out var eventId) && eventId is StructureValue structure
        && structure.Properties.Any(p => p.Name == "Name" && p.Value is ScalarValue { Value: "HostedServiceStartupFaulted" or "StoppedWithException" });

    private static async Task<int> ReportAsync(TextWriter error, ILogger logger, string what, Exception exception)
    {
        var line = StartupFailure.OneLine(exception);
        if (StartupFailure.IsExpected(exception))
        {
            logger.LogCritical("GqaService {What}: {Reason}", what, line);
        }
        else
        {
            logger.LogCritical(exception, "GqaService {What}: {Reason}", what, line);
        }
        await error.WriteLineAsync($"GqaService {what}: {line}");
        return ExitFailed;
    }
}
