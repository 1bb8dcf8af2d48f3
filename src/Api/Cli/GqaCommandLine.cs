using System.CommandLine;

namespace GqaService.Api.Cli;

/// <summary>
/// The command line: <c>serve</c> (also what runs without a verb), <c>generate</c>, <c>perplexity</c>, <c>--help</c> and <c>--version</c>.
/// Exit codes: 0 success (and help/version), 1 the command failed (bad model, port in use), 2 the command line itself is
/// wrong (unknown switch, with a suggestion when one is close; missing value).
/// </summary>
public static class GqaCommandLine
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    /// <param name="serve">Runs the HTTP host with the given settings until it stops; returns the exit code (1 when it cannot start).</param>
    /// <param name="configurationArguments"><c>--Section:Key=value</c> arguments taken out before parsing (<see cref="ConfigurationArguments"/>).</param>
    public static RootCommand Create(Func<ServeSettings, Task<int>> serve, string[] configurationArguments)
    {
        var root = new RootCommand(
            "GqaService: OpenAI-compatible completions from a grouped-query-attention Llama model with a paged KV cache. " +
            "Without a command, serve. Every setting is a configuration key: appsettings.json, the environment (Inference__KvCacheMiB=64) " +
            "or --Section:Key=value here (--Inference:KvCacheMiB=64, --Api:RateLimit:PermitsPerMinute=60); the command line wins.");
        var rootOptions = new ServeOptions();
        rootOptions.AddTo(root);
        root.SetAction(parse => serve(rootOptions.Read(parse, Environment.CurrentDirectory, configurationArguments)));

        var serveOptions = new ServeOptions();
        var serveCommand = new Command("serve", "Serve the HTTP API (Swagger UI at /swagger, Prometheus metrics at /metrics). " +
            "Any configuration key: --Section:Key=value (sections Inference, Api, Serilog, Service, Kestrel, Logging).");
        serveOptions.AddTo(serveCommand);
        serveCommand.SetAction(parse => serve(serveOptions.Read(parse, Environment.CurrentDirectory, configurationArguments)));
        root.Subcommands.Add(serveCommand);
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(PerplexityCommand.Create());
        // "help" as a word, as many tools take it: the same text as --help.
        var help = new Command("help", "Show this help.");
        help.SetAction(parse => root.Parse("--help").Invoke(parse.InvocationConfiguration));
        root.Subcommands.Add(help);
        return root;
    }

    /// <summary>Parses and runs. Errors in the command line print the problem, a suggestion when a switch is close, and exit 2.</summary>
    public static async Task<int> InvokeAsync(string[] args, Func<ServeSettings, Task<int>> serve, TextWriter? output = null, TextWriter? error = null)
    {
        // generate and perplexity take no configuration keys: their switches are all they read.
        var (configuration, switches) = args is ["generate" or "perplexity", ..] ? ([], args) : ConfigurationArguments.Split(args);
        var parse = Create(serve, configuration).Parse(switches);
        // Exceptions reach the caller unchanged: the test host aborts the entry point with one, and a start-up failure is
        // reported by the serve delegate, not as a stack trace from the parser.
        // ProcessTerminationTimeout = null: SIGTERM belongs to the host, which drains the engine (Inference:ShutdownTimeoutSeconds)
        // before it exits; System.CommandLine's default (exit 2 s after the signal) killed the process mid-drain (exit 139).
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        if (output is not null)
        {
            invocation.Output = output;
        }
        if (error is not null)
        {
            invocation.Error = error;
        }
        var exitCode = await parse.InvokeAsync(invocation);
        return parse.Errors.Count > 0 ? UsageError : exitCode;
    }
}
