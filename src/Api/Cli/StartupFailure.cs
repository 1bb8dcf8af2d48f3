namespace GqaService.Api.Cli;

/// <summary>
/// Runs the host and turns a failure to start (bad model, invalid options, port in use) into one line on stderr and exit
/// code 1, instead of an unhandled-exception abort. The test host's abort signal passes through untouched.
/// </summary>
public static class StartupFailure
{
    public static async Task<int> GuardAsync(Func<ServeSettings, Task<int>> serve, ServeSettings settings, TextWriter error)
    {
        try
        {
            return await serve(settings);
        }
        catch (Exception exception) when (exception is not HostAbortedException)
        {
            await error.WriteLineAsync($"error: {Describe(exception)}");
            return GqaCommandLine.Failure;
        }
    }

    /// <summary>The message that says what went wrong: wrappers (aggregate, invocation) are looked through.</summary>
    public static string Describe(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && exception.InnerException is not null)
        {
            exception = exception.InnerException!;
        }
        return exception.Message;
    }
}
