using System.Net;
using System.Net.Sockets;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>
/// The server process that cannot start says why on exactly one stderr line and exits 1: no abort (134), no
/// "Unhandled exception", no stack trace (printed once or twice) anywhere in its output.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public class ServerStartupFailureTests
{
    [Fact]
    public async Task BadModelFile_ExitsOne_WithOneLineNamingTheFile()
    {
        using var directory = new TemporaryDirectory();
        var path = directory.File("truncated.bin");
        await File.WriteAllBytesAsync(path, new byte[20]);

        var line = await AssertFailsToStartAsync(["serve", "--model", path, "--urls", "http://127.0.0.1:0"]);

        Assert.Contains(path, line);
        Assert.Contains("truncated", line);
    }

    [Theory]
    [InlineData("Inference__BlockSize", "0", "BlockSize")]
    [InlineData("Inference__BlockSize", "abc", "Inference:BlockSize")]
    [InlineData("Inference__PrefixCaching", "maybe", "Inference:PrefixCaching")]
    [InlineData("Inference__KernelSpinMicroseconds", "-1", "KernelSpinMicroseconds")]
    [InlineData("Api__MaxRequestBodyBytes", "10", "Api:MaxRequestBodyBytes")]
    [InlineData("Api__MaxTokensLimit", "5", "MaxTokensLimit")] // a setting that moved to Inference: refused by name
    [InlineData("Api__NoSuchSetting", "1", "NoSuchSetting")]
    public async Task InvalidConfigurationValue_ExitsOne_WithOneLineNamingTheKey(string key, string value, string named)
    {
        using var model = new TinyServerModel();

        var line = await AssertFailsToStartAsync(["serve", "--model", model.Path, "--urls", "http://127.0.0.1:0"], new() { [key] = value });

        Assert.Contains(named, line);
    }

    [Fact]
    public async Task PortAlreadyInUse_ExitsOne_WithOneLineNamingTheAddress()
    {
        using var model = new TinyServerModel();
        var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        try
        {
            var address = $"http://127.0.0.1:{((IPEndPoint)holder.LocalEndpoint).Port}";

            var line = await AssertFailsToStartAsync(["serve", "--model", model.Path, "--urls", address]);

            Assert.Contains(address, line);
            Assert.Contains("address already in use", line);
        }
        finally
        {
            holder.Stop();
        }
    }

    private static async Task<string> AssertFailsToStartAsync(string[] args, Dictionary<string, string>? environment = null)
    {
        await using var server = ServerProcess.Start(args, environment);
        var exitCode = await server.WaitForExitAsync(ServerProcess.StartupTimeout);
        var output = server.Stdout + "\n" + string.Join('\n', server.StderrLines);

        Assert.True(exitCode == 1, $"exit code {exitCode}\n{output}");
        var line = Assert.Single(server.StderrLines);
        Assert.StartsWith("GqaService could not start: ", line);
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain(output.Split('\n'), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains('('));
        return line;
    }
}
