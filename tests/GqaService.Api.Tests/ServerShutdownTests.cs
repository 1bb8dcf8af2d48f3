using System.Diagnostics;
using System.Net;
using System.Text.Json;
using GqaService.Api.Hosting;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>
/// SIGTERM to the real server process with many streams open: it stops admitting (503), lets in-flight work run for the
/// drain time (<c>Inference:ShutdownTimeoutSeconds</c>), ends every remaining stream with a <c>shutting_down</c> error
/// event and <c>[DONE]</c> (no resets), and exits 0 within the drain time plus the host's margin.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public class ServerShutdownTests
{
    // Process teardown (libtorch, the runtime) on a loaded machine, beyond the host's own cap of drain + margin.
    private static readonly TimeSpan ExitSlack = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Sigterm_WithZeroDrain_Ends150OpenStreamsWithShuttingDownAndDone_AndExitsZeroPromptly()
    {
        using var model = new TinyServerModel();
        await using var server = StartServer(model, drainSeconds: 0, new() { ["Inference__MaxSequencesPerStep"] = "160" });
        using var client = Client(await server.WaitForListeningAsync(ServerProcess.StartupTimeout));
        var streams = Enumerable.Range(0, 150).Select(_ => StreamProbe.Start(client, maxTokens: 4096)).ToList();
        await Task.WhenAll(streams.Select(s => s.FirstToken)).WaitAsync(ServerProcess.StartupTimeout);

        var (exitCode, elapsed) = await TerminateAsync(server);
        await Task.WhenAll(streams.Select(s => s.Completion));

        Assert.Equal(0, exitCode);
        Assert.True(elapsed < ShutdownTimeouts.Margin + ExitSlack, $"exit took {elapsed}");
        Assert.All(streams, s => Assert.Equal("error:shutting_down", s.Ending()));
        AssertCleanExit(server);
    }

    [Fact]
    public async Task Sigterm_WithDrain_ShortStreamsFinish_LongOnesEndWithShuttingDown_NewRequestsGet503()
    {
        const int drainSeconds = 6, longTokens = 16000, shortTokens = 48;
        using var model = new TinyServerModel();
        await using var server = StartServer(model, drainSeconds, new()
        {
            ["Inference__MaxTokensLimit"] = $"{longTokens}",
        });
        using var client = Client(await server.WaitForListeningAsync(ServerProcess.StartupTimeout));
        var longStreams = Enumerable.Range(0, 40).Select(_ => StreamProbe.Start(client, longTokens)).ToList();
        await Task.WhenAll(longStreams.Select(s => s.FirstToken)).WaitAsync(ServerProcess.StartupTimeout);
        var shortStreams = Enumerable.Range(0, 8).Select(_ => StreamProbe.Start(client, shortTokens)).ToList();
        await Task.WhenAll(shortStreams.Select(s => s.FirstToken)).WaitAsync(ServerProcess.StartupTimeout);

        var clock = Stopwatch.StartNew();
        server.Signal("TERM");
        await server.WaitForLineAsync(line => line.Contains("Engine stopping", StringComparison.Ordinal), ServerProcess.StartupTimeout);
        // The server still listens while the engine drains: a new request is refused at once, and readiness says so.
        using var late = await client.PostAsync("v1/completions", JsonBody("""{"prompt": [1], "max_tokens": 4}"""));
        var lateBody = await late.Content.ReadAsStringAsync();
        using var ready = await client.GetAsync("health/ready");
        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(drainSeconds) + ShutdownTimeouts.Margin + ServerProcess.StartupTimeout);
        var elapsed = clock.Elapsed;
        await Task.WhenAll(longStreams.Concat(shortStreams).Select(s => s.Completion));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, late.StatusCode);
        Assert.Equal("application/problem+json", late.Content.Headers.ContentType?.MediaType);
        Assert.Contains("shutting down", JsonDocument.Parse(lateBody).RootElement.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(0, exitCode);
        Assert.All(shortStreams, s =>
        {
            Assert.Equal("length", s.Ending());
            Assert.Equal(shortTokens, s.TokenChunks());
        });
        // A long stream cannot produce 16000 tokens in the drain time; whichever way it ended, it ended cleanly.
        Assert.All(longStreams, s => Assert.Contains(s.Ending(), new[] { "error:shutting_down", "length" }));
        Assert.Contains(longStreams, s => s.Ending() == "error:shutting_down");
        Assert.True(elapsed >= TimeSpan.FromSeconds(drainSeconds), $"the drain ended after {elapsed}, before its {drainSeconds} s");
        Assert.True(elapsed < TimeSpan.FromSeconds(drainSeconds) + ShutdownTimeouts.Margin + ExitSlack, $"exit took {elapsed}");
        AssertCleanExit(server);
    }

    private static ServerProcess StartServer(TinyServerModel model, int drainSeconds, Dictionary<string, string> settings)
    {
        settings["Inference__ShutdownTimeoutSeconds"] = $"{drainSeconds}";
        settings["Inference__KvCacheMiB"] = "64";
        return ServerProcess.Start(["serve", "--model", model.Path, "--urls", "http://127.0.0.1:0"], settings);
    }

    private static HttpClient Client(Uri address) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 512 }) { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };

    private static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static async Task<(int ExitCode, TimeSpan Elapsed)> TerminateAsync(ServerProcess server)
    {
        var clock = Stopwatch.StartNew();
        server.Signal("TERM");
        var exitCode = await server.WaitForExitAsync(ServerProcess.StartupTimeout);
        return (exitCode, clock.Elapsed);
    }

    /// <summary>Every block and the weights were released, and nothing was thrown past the host.</summary>
    private static void AssertCleanExit(ServerProcess server)
    {
        Assert.Contains("Engine stopped; weights and KV pool released", server.Stdout);
        Assert.Empty(server.StderrLines);
    }
}
