using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Support;

/// <summary>
/// Writes an engine's log to the test's output, so a failed step reads as the engine's own error in the test report
/// instead of a bare assertion about ids.
/// </summary>
internal sealed class TestOutputLogger<T>(ITestOutputHelper output) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        try
        {
            output.WriteLine($"[{logLevel}] {typeof(T).Name}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}");
        }
        catch (InvalidOperationException)
        {
            // The test has already ended (a late log line from the engine's shutdown); xunit refuses writes then.
        }
    }
}
