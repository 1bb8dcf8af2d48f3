using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace GqaService.Api.Tests.Support;

/// <summary>
/// The real service as a child process (<c>dotnet GqaService.Api.dll …</c>), the way an operator or a container runs it:
/// stdout and stderr are kept line by line (apart, and together in arrival order), it can be sent signals, and its exit
/// code is read after both streams ended.
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _lines = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<string> _all = [];
    private readonly Channel<string> _stdoutFeed = Channel.CreateUnbounded<string>();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private Uri? _baseAddress;

    /// <summary>
    /// How long a start (or a failure to start) may take: libtorch loading on a loaded 2-core machine. 120 s was exceeded at
    /// load average 60-80 (a start took up to 2.5 min there); the bound only matters when a start hangs.
    /// </summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(240);

    private ServerProcess(Process process)
    {
        _process = process;
        _stdoutPump = PumpAsync(process.StandardOutput, _stdout, _stdoutFeed.Writer);
        _stderrPump = PumpAsync(process.StandardError, _stderr, null);
    }

    public Process Process => _process;

    /// <summary>Where Kestrel listens, once <see cref="WaitForListeningAsync"/> has seen it.</summary>
    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("The server has not reported listening yet.");

    /// <summary>stdout and stderr together, in the order the lines arrived.</summary>
    public string Output { get { lock (_lines) return string.Join('\n', _all); } }

    public string Stdout { get { lock (_lines) return string.Join('\n', _stdout); } }

    public IReadOnlyList<string> StderrLines { get { lock (_lines) return _stderr.ToList(); } }

    /// <summary>Starts <c>serve</c> with <paramref name="serveArguments"/> on a port Kestrel picks, and waits until it listens (the model is loaded before that).</summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string> serveArguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var server = Start(["serve", .. serveArguments, "--urls", "http://127.0.0.1:0"], environment);
        await server.WaitForListeningAsync(StartupTimeout);
        return server;
    }

    /// <summary>Starts the app with exactly <paramref name="args"/> and returns at once.</summary>
    public static ServerProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GqaService.Api.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // Plain text logs, one event per line, so lines can be matched.
        start.Environment["Serilog__Json"] = "false";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return new ServerProcess(Process.Start(start)!);
    }

    /// <summary>Waits for the first stdout line matching <paramref name="match"/>; fails with the output so far if the process exits first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var line in _stdoutFeed.Reader.ReadAllAsync(cancel.Token))
            {
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        throw new Xunit.Sdk.XunitException($"No matching line within {timeout} (exited: {_process.HasExited}). Output:\n{Output}");
    }

    /// <summary>The base address Kestrel reports once it listens (started with <c>--urls http://127.0.0.1:0</c>, it names the port it took).</summary>
    public async Task<Uri> WaitForListeningAsync(TimeSpan timeout)
    {
        var line = await WaitForLineAsync(l => ListeningLine().IsMatch(l), timeout);
        _baseAddress = new Uri(ListeningLine().Match(line).Groups[1].Value);
        return _baseAddress;
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>The exit code, after both output streams have been read to their end.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"The process did not exit within {timeout}. Output:\n{Output}");
        }
        await Task.WhenAll(_stdoutPump, _stderrPump);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader, List<string> sink, ChannelWriter<string>? feed)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_lines)
            {
                sink.Add(line);
                _all.Add(line);
            }
            feed?.TryWrite(line);
        }
        feed?.TryComplete();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
