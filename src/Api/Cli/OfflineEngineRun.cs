using GqaService.Inference.Engine;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Cli;

/// <summary>
/// The frame of an offline verb (generate, perplexity): a console logger (warnings only unless GQA_VERBOSE=1), one engine
/// started with the verb's options, the verb's body, user-facing failures as one <c>error:</c> line and exit code 1
/// (<see cref="CommandFailures"/>), and the engine stopped whatever happened.
/// </summary>
internal static class OfflineEngineRun
{
    public static async Task<int> RunAsync(EngineOptions options, Func<InferenceEngine, Task<int>> body)
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddFilter(level => level >= (Environment.GetEnvironmentVariable("GQA_VERBOSE") == "1" ? LogLevel.Debug : LogLevel.Warning)));
        using var engine = new InferenceEngine(Options.Create(options), loggerFactory.CreateLogger<InferenceEngine>());
        try
        {
            await engine.StartAsync();
            return await body(engine);
        }
        catch (Exception exception) when (CommandFailures.IsUserFacing(exception))
        {
            await Console.Error.WriteLineAsync($"error: {exception.Message}");
            return 1;
        }
        finally
        {
            await engine.StopAsync();
        }
    }
}
