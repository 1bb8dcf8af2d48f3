using System.Diagnostics;
using System.Text.Json;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>
/// The KV observatory page in headless Chromium (Debian's chromium, npm playwright-core) against the default model on a
/// tiny pool (1 MiB: 32 blocks), driven by tests/observatory/observatory-page.mjs. Screenshots go to the test output folder.
/// </summary>
public sealed class ObservatoryPageTests
{
    private static string Script => Path.Combine(ServiceProcess.RepositoryRoot, "tests", "observatory", "observatory-page.mjs");

    [ChromiumFact]
    public async Task ThePage_ShowsSessionBlocks_FreesThemOnDelete_ListsAPreemption_AndStreamsAChatReply()
    {
        await using var app = TestApp.CreateReal(new Dictionary<string, string?> { ["Inference:KvCacheMiB"] = "1" });
        var result = await RunPageAsync(TestApp.StartKestrel(app), apiKey: null);

        Assert.Empty(result.GetProperty("consoleErrors").EnumerateArray());
        Assert.EndsWith("/ui", result.GetProperty("url").GetString());
        Assert.Equal(32, result.GetProperty("cells").GetInt32());
        Assert.Equal(200, result.GetProperty("completionStatus").GetInt32());
        var sessionBlocks = result.GetProperty("sessionBlocks").GetInt32();
        Assert.True(sessionBlocks >= 3, $"a 40-token completion holds at least 3 blocks of 16 (got {sessionBlocks})");
        Assert.Equal(sessionBlocks, result.GetProperty("mapSessionBlocks").GetInt32());
        Assert.StartsWith("session:ui-test block table", result.GetProperty("blockTable").GetString());
        Assert.Equal(200, result.GetProperty("deleteStatus").GetInt32());
        Assert.Equal(32, result.GetProperty("freeCells").GetInt32());
        Assert.All(result.GetProperty("burstStatuses").EnumerateArray(), s => Assert.Equal(200, s.GetInt32()));
        Assert.StartsWith("preempted", result.GetProperty("preemptionLine").GetString());
        Assert.False(string.IsNullOrWhiteSpace(result.GetProperty("chatReply").GetString()));
        Assert.StartsWith("KV receipt:", result.GetProperty("chatReceipt").GetString());
        Assert.True(result.GetProperty("chatSessionBlocks").GetInt32() > 0);
    }

    [ChromiumFact]
    public async Task WithApiKeys_ThePageAsksForAKey_AndWorksWithIt()
    {
        await using var app = TestApp.CreateReal(new Dictionary<string, string?> { ["Inference:KvCacheMiB"] = "1", ["Api:ApiKeys:0"] = "page-key" });
        var result = await RunPageAsync(TestApp.StartKestrel(app), apiKey: "page-key");

        // The page's first calls answer 401 until the key is entered; Chromium logs those failed loads, nothing else may appear.
        Assert.DoesNotContain(result.GetProperty("consoleErrors").EnumerateArray(), e => !e.GetString()!.Contains("401", StringComparison.Ordinal));
        Assert.Equal(result.GetProperty("sessionBlocks").GetInt32(), result.GetProperty("mapSessionBlocks").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(result.GetProperty("chatReply").GetString()));
    }

    private static async Task<JsonElement> RunPageAsync(string address, string? apiKey)
    {
        var screenshots = Path.Combine(AppContext.BaseDirectory, "TestResults", "observatory", apiKey is null ? "open" : "keys");
        Directory.CreateDirectory(screenshots);
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(address);
        start.ArgumentList.Add(screenshots);
        if (apiKey is not null)
        {
            start.ArgumentList.Add(apiKey);
        }
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(node.ExitCode == 0, $"the browser run failed: {await stderr}");
        using var document = JsonDocument.Parse(await stdout);
        Assert.True(File.Exists(Path.Combine(screenshots, "observatory-chat.png")));
        return document.RootElement.Clone();
    }
}
