using System.Text.Json;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>The one-shot <c>generate</c> verb, run as a real process the way a user runs it.</summary>
public class GenerateCommandTests
{
    [RealModelFact]
    public async Task Generate_BothCheckpointFormats_PrintTheReferenceGreedyIds()
    {
        var firstCase = ExpectedGreedyCase.Load()[0];
        foreach (var model in new[] { SharedModels.Stories260KBin, SharedModels.Stories260KHf })
        {
            var (exitCode, stdout, stderr) = await RunAsync("generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "200", "--temperature", "0", "--ignore-eos");
            Assert.True(exitCode == 0, stderr);
            using var output = JsonDocument.Parse(stdout);
            Assert.Equal(firstCase.ExpectedIds, output.RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
            Assert.Equal(firstCase.ExpectedText, output.RootElement.GetProperty("text").GetString());
        }
    }

    [RealModelFact]
    public async Task Generate_TextPrompt_GetsBosFromTheTokenizer()
    {
        var (exitCode, stdout, stderr) = await RunAsync("generate", "--model", SharedModels.Stories260KBin, "--prompt", "Once upon a time", "--max-tokens", "5");
        Assert.True(exitCode == 0, stderr);
        using var output = JsonDocument.Parse(stdout);
        Assert.Equal(1, output.RootElement.GetProperty("prompt_ids")[0].GetInt32());
        Assert.Equal(5, output.RootElement.GetProperty("token_ids").GetArrayLength());
    }

    [Fact]
    public async Task Generate_NoModel_UsesTheBuiltInDemoModel()
    {
        var (exitCode, stdout, stderr) = await RunAsync("generate", "--prompt", "Hello", "--max-tokens", "4", "--ignore-eos");
        Assert.True(exitCode == 0, stderr);
        using var output = JsonDocument.Parse(stdout);
        Assert.Contains("DEMO", output.RootElement.GetProperty("model").GetString());
        Assert.Equal(4, output.RootElement.GetProperty("token_ids").GetArrayLength());
    }

    [Fact]
    public async Task Generate_TruncatedCheckpoint_FailsNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"truncated-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(path, new byte[20]);
        try
        {
            var (exitCode, _, stderr) = await RunAsync("generate", "--model", path, "--prompt-ids", "1", "--max-tokens", "2");
            Assert.Equal(1, exitCode);
            Assert.Contains(path, stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Generate_BadSwitch_PrintsUsage()
    {
        var (exitCode, stdout, stderr) = await RunAsync("generate", "--bogus");
        Assert.Equal(2, exitCode);
        Assert.Contains("Unrecognized command or argument '--bogus'", stderr);
        Assert.Contains("Usage:", stdout);
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        ServiceProcess.RunAsync(Environment.CurrentDirectory, args);
}
