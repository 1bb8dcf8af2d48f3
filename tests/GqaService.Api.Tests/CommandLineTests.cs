using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>The command line as an operator meets it: the real process, its output and its exit code.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Help_ListsTheCommandsAndExitsZero(string help)
    {
        var (exitCode, stdout, _) = await ServiceProcess.RunAsync(Path.GetTempPath(), help);

        Assert.Equal(0, exitCode);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("serve", stdout);
        Assert.Contains("generate", stdout);
        Assert.Contains("--model <path>", stdout);
        Assert.Contains("--Section:Key=value", stdout);
    }

    [Theory]
    [InlineData("serve", "--urls <url>")]
    [InlineData("generate", "--prompt-ids <1,2,3>")]
    [InlineData("generate", "--kv-heads <N>")]
    [InlineData("serve", "--kv-heads <N>")]
    [InlineData("perplexity", "--text-file <path>")]
    public async Task CommandHelp_ListsThatCommandsSwitches(string command, string expectedSwitch)
    {
        var (exitCode, stdout, _) = await ServiceProcess.RunAsync(Path.GetTempPath(), command, "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains($"{command} [options]", stdout);
        Assert.Contains(expectedSwitch, stdout);
    }

    [Fact]
    public async Task Version_PrintsTheAssemblysInformationalVersion()
    {
        var expected = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        var (exitCode, stdout, _) = await ServiceProcess.RunAsync(Path.GetTempPath(), "--version");

        Assert.Equal(0, exitCode);
        Assert.Equal(expected, stdout.Trim());
    }

    [Theory]
    [InlineData("serve", "--modle", "--model")]
    [InlineData("serve", "--tokeniser", "--tokenizer")]
    [InlineData(null, "--modle", "--model")]
    public async Task MistypedSwitch_IsRefusedWithASuggestionAndExitTwo(string? command, string typo, string suggestion)
    {
        string[] args = command is null ? [typo, "x.bin"] : [command, typo, "x.bin"];

        var (exitCode, stdout, stderr) = await ServiceProcess.RunAsync(Path.GetTempPath(), args);

        Assert.Equal(2, exitCode);
        Assert.Contains($"Unrecognized command or argument '{typo}'", stderr);
        Assert.Contains($"'{typo}' was not matched. Did you mean one of the following?", stdout);
        Assert.Contains(suggestion, stdout[stdout.IndexOf("Did you mean", StringComparison.Ordinal)..]);
        Assert.DoesNotContain("Now listening", stdout);
    }

    [Fact]
    public async Task MissingModel_ExitsOneWithOneLineNamingThePathResolvedAgainstTheCurrentDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("gqa-cli-").FullName;
        try
        {
            var (exitCode, _, stderr) = await ServiceProcess.RunAsync(directory, "serve", "--model", "missing.bin", "--urls", "http://127.0.0.1:0");

            Assert.Equal(1, exitCode);
            var errorLine = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.StartsWith("GqaService could not start: ", StringComparison.Ordinal));
            Assert.Contains(Path.Combine(directory, "missing.bin"), errorLine);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task ConfigurationKeyOnTheCommandLine_ReachesTheValidatedOptions()
    {
        var (exitCode, _, stderr) = await ServiceProcess.RunAsync(Path.GetTempPath(), "serve", "--Inference:BlockSize=0", "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exitCode);
        Assert.Contains("GqaService could not start: ", stderr);
        Assert.Contains("BlockSize", stderr[stderr.IndexOf("GqaService could not start: ", StringComparison.Ordinal)..]);
    }

    [Fact]
    public async Task KvHeadsThatDoNotDivideTheModels_StopTheStartWithOneLineNamingTheSetting()
    {
        var (exitCode, _, stderr) = await ServiceProcess.RunAsync(Path.GetTempPath(), "serve", "--model", TinyCheckpoints.StoriesShaped, "--kv-heads", "3",
            "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exitCode);
        var errorLine = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.StartsWith("GqaService could not start: ", StringComparison.Ordinal));
        Assert.Contains("Inference:KvHeads = 3 must divide the model's 4 K/V heads", errorLine);
    }

    [Theory]
    [InlineData("serve", "--urls", "http://127.0.0.1:0")]
    [InlineData("generate", "--prompt-ids", "1")]
    [InlineData("perplexity", "--token-ids", "1,2")]
    public async Task KvHeadsBelowOne_IsACommandLineError(string command, string otherSwitch, string otherValue)
    {
        var (exitCode, _, stderr) = await ServiceProcess.RunAsync(Path.GetTempPath(), command, "--kv-heads", "0", otherSwitch, otherValue);

        Assert.Equal(2, exitCode);
        Assert.Contains("--kv-heads must be a positive number of K/V heads.", stderr);
    }

    [Fact]
    public async Task PortInUse_ExitsOneSayingSo()
    {
        using var occupant = new TcpListener(System.Net.IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((System.Net.IPEndPoint)occupant.LocalEndpoint).Port;

        var (exitCode, _, stderr) = await ServiceProcess.RunAsync(Path.GetTempPath(), "serve", "--urls", $"http://127.0.0.1:{port}");

        Assert.Equal(1, exitCode);
        Assert.Contains($"GqaService could not start: Failed to bind to address http://127.0.0.1:{port}: address already in use.", stderr);
    }

    [RealModelFact]
    public async Task RelativeModelPath_FromTheRepositoryRoot_ServesThatModel()
    {
        var root = ServiceProcess.RepositoryRoot;
        var relative = Path.GetRelativePath(root, SharedModels.Stories260KBin);
        Assert.False(Path.IsPathRooted(relative));

        await using var service = ServiceProcess.Start(root, ServiceProcess.ApplicationDll, "serve", "--model", relative, "--urls", "http://127.0.0.1:0");
        var address = await service.ListeningAddressAsync();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        using var models = await http.GetFromJsonAsync<JsonDocument>("/v1/models");

        Assert.Equal("stories260K", models!.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.Contains($"model       llama2.c checkpoint {SharedModels.Stories260KBin}", service.Stdout);
        Assert.Contains("tokenizer   sentencepiece", service.Stdout);
        Assert.Contains($"listening   [\"{address}\"]", service.Stdout);
    }

    /// <summary>
    /// <c>dotnet run --project src/Api</c> starts the program inside src/Api; the project sets RunWorkingDirectory so a path
    /// typed at the repository root still means what it says there (the README's commands).
    /// </summary>
    [RealModelFact]
    public async Task DotnetRun_FromTheRepositoryRoot_ResolvesARelativeModelPathThere()
    {
        var root = ServiceProcess.RepositoryRoot;
        var relative = Path.GetRelativePath(root, SharedModels.Stories260KBin);
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";

        await using var run = ServiceProcess.Start(root, "run", "--project", "src/Api", "-c", configuration, "--no-build", "--",
            "generate", "--model", relative, "--prompt-ids", "1", "--max-tokens", "3", "--temperature", "0");
        var exitCode = await run.WaitForExitAsync();

        Assert.True(exitCode == 0, run.Stderr);
        using var output = JsonDocument.Parse(run.Stdout);
        Assert.Equal("stories260K", output.RootElement.GetProperty("model").GetString());
        Assert.Equal(ExpectedGreedyCase.Load()[0].ExpectedIds.Take(3), output.RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()));
    }
}
