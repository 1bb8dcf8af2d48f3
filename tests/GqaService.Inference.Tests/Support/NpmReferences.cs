using System.Diagnostics;
using System.Text.Json;

namespace GqaService.Inference.Tests.Support;

/// <summary>
/// The npm reference packages of tests/package.json (installed into tests/node_modules by scripts/install-deps.sh):
/// their shipped files, and their own JavaScript tokenizers run under node as the reference implementation.
/// </summary>
internal static class NpmReferences
{
    public static string TestsDirectory
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "GqaService.sln")))
            {
                directory = directory.Parent;
            }
            return Path.Combine(directory?.FullName ?? Directory.GetCurrentDirectory(), "tests");
        }
    }

    public static string PackageDirectory(string package) => Path.Combine(TestsDirectory, "node_modules", package);

    public static string? SkipReason(string package) => Directory.Exists(PackageDirectory(package))
        ? null
        : $"npm reference package {package} not installed at {PackageDirectory(package)} (run scripts/install-deps.sh)";

    /// <summary>The ids the package's own tokenizer gives each text, without (plain) and with its special tokens added.</summary>
    public static IReadOnlyList<(int[] Plain, int[] WithSpecial)> Encode(string package, IReadOnlyList<string> texts)
    {
        var start = new ProcessStartInfo("node", Path.Combine(TestsDirectory, "reference", "encode.cjs"))
        {
            WorkingDirectory = TestsDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var node = Process.Start(start)!;
        var stderr = node.StandardError.ReadToEndAsync();
        node.StandardInput.Write(JsonSerializer.Serialize(new { package, texts }));
        node.StandardInput.Close();
        var stdout = node.StandardOutput.ReadToEnd();
        node.WaitForExit();
        Assert.True(node.ExitCode == 0, $"node reference failed: {stderr.Result[..Math.Min(2000, stderr.Result.Length)]}");
        using var document = JsonDocument.Parse(stdout);
        return document.RootElement.EnumerateArray()
            .Select(r => (r.GetProperty("plain").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                r.GetProperty("with_special").EnumerateArray().Select(e => e.GetInt32()).ToArray()))
            .ToList();
    }
}
