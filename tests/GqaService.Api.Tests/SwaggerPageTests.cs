using System.Diagnostics;
using System.Text.Json;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>
/// The Swagger page in a real headless Chromium (Debian's chromium driven by npm playwright-core, both installed by
/// scripts/install-deps.sh): a new user's first "Try it out" on the default model must answer 200 with text.
/// </summary>
public sealed class SwaggerPageTests
{
    private static string Script => Path.Combine(ServiceProcess.RepositoryRoot, "tests", "swagger", "try-completions.mjs");

    [ChromiumFact]
    public async Task TryItOut_OnCompletions_WithTheShownExample_Answers200WithText()
    {
        // The default model, as a fresh clone serves it; only the log level is changed.
        await using var app = TestApp.CreateReal(new Dictionary<string, string?> { ["Inference:KvCacheMiB"] = "16" });
        var address = TestApp.StartKestrel(app);

        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(address);
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));

        Assert.True(node.ExitCode == 0, $"the browser run failed: {await stderr}");
        using var result = JsonDocument.Parse(await stdout);
        Assert.Equal("200", result.RootElement.GetProperty("status").GetString());
        using var body = JsonDocument.Parse(result.RootElement.GetProperty("body").GetString()!);
        var text = body.RootElement.GetProperty("choices")[0].GetProperty("text").GetString();
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.Equal(32, body.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var padlocks = result.RootElement.GetProperty("padlocks");
        Assert.Equal(1, padlocks.GetProperty("healthShown").GetInt32());
        Assert.Equal(0, padlocks.GetProperty("health").GetInt32());
        Assert.Equal(1, padlocks.GetProperty("completions").GetInt32());
    }
}
