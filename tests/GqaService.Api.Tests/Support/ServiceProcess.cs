using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace GqaService.Api.Tests.Support;

/// <summary>The service run as a real process (<c>dotnet GqaService.Api.dll ...</c>), the way an operator runs it.</summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    /// <summary>The same bound as <see cref="ServerProcess.StartupTimeout"/>: only a hung start ever waits this long.</summary>
    private static readonly TimeSpan Patience = ServerProcess.StartupTimeout;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(Process process)
    {
        _process = process;
    }

    public static string ApplicationDll => Path.Combine(AppContext.BaseDirectory, "GqaService.Api.dll");

    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "GqaService.sln")))
            {
                directory = directory.Parent;
            }
            return directory?.FullName ?? throw new InvalidOperationException($"no GqaService.sln above {AppContext.BaseDirectory}");
        }
    }

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>Starts <c>dotnet</c> with <paramref name="args"/> (the first is usually <see cref="ApplicationDll"/>) in <paramref name="workingDirectory"/>.</summary>
    public static ServiceProcess Start(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = start };
        var service = new ServiceProcess(process);
        process.OutputDataReceived += (_, line) => service.OnLine(service._stdout, line.Data);
        process.ErrorDataReceived += (_, line) => service.OnLine(service._stderr, line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Runs the application to its end: exit code and both streams.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string workingDirectory, params string[] args)
    {
        await using var service = Start(workingDirectory, [ApplicationDll, .. args]);
        var exitCode = await service.WaitForExitAsync();
        return (exitCode, service.Stdout, service.Stderr);
    }

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Patience);
        // The parameterless wait also drains the redirected streams.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>The address from Kestrel's "Now listening on:" line; fails if the process exits first.</summary>
    public async Task<string> ListeningAddressAsync()
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_listening.Task, exited).WaitAsync(Patience);
        if (first != _listening.Task)
        {
            _process.WaitForExit();
            throw new InvalidOperationException($"the service exited ({_process.ExitCode}) before listening:\n{Stdout}\n{Stderr}");
        }
        return await _listening.Task;
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

    private void OnLine(StringBuilder sink, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (sink)
        {
            sink.AppendLine(line);
        }
        if (ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(match.Groups["address"].Value);
        }
    }

    [GeneratedRegex(@"Now listening on: (?<address>http://\S+)")]
    private static partial Regex ListeningLine();
}
