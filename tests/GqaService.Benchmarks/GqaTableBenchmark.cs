using System.Globalization;
using System.Text.Json;
using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;
using GqaService.Inference.Perplexity;

namespace GqaService.Benchmarks;

/// <summary>
/// The table of docs/gqa.md: for a GQA checkpoint served natively and regrouped to fewer K/V heads, and for its
/// MHA-equivalent expansion (<see cref="MhaExpansion"/>) natively and regrouped, the perplexity on a held-out text, KV bytes
/// per token, what the default pool and a fixed budget hold, and output tok/s at 1 and 16 streams. Prints markdown and
/// writes the same figures as JSON (--out) for pages that show them.
/// </summary>
internal static class GqaTableBenchmark
{
    private const int FixedBudgetMiB = 16;

    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        var model = arguments.Text("--model") ?? throw new ArgumentException("--model PATH (a llama2.c GQA checkpoint with tokenizer.model beside it) is required.");
        var textPath = arguments.Text("--text") ?? throw new ArgumentException("--text PATH (the held-out text) is required.");
        var output = arguments.Text("--out");
        var maxTokens = arguments.Int("--max-tokens", 128);
        var perStream = arguments.Int("--requests-per-stream", 2);
        var text = await File.ReadAllTextAsync(textPath);
        // The expansion gets a folder of its own, with the original's tokenizer beside it as the loader expects.
        var folder = Directory.CreateTempSubdirectory("gqa-table-").FullName;
        var mha = Path.Combine(folder, Path.GetFileNameWithoutExtension(model) + "-mha.bin");
        File.Copy(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(model))!, "tokenizer.model"), Path.Combine(folder, "tokenizer.model"));
        MhaExpansion.Write(model, mha);
        var rows = new List<Dictionary<string, object?>>();
        try
        {
            var variants = new (string Label, string Path, int KvHeads)[]
            {
                ("GQA checkpoint", model, 0), ("GQA checkpoint", model, 2), ("GQA checkpoint", model, 1),
                ("MHA-equivalent expansion", mha, 0), ("MHA-equivalent expansion", mha, 4), ("MHA-equivalent expansion", mha, 2), ("MHA-equivalent expansion", mha, 1),
            };
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; load average at start {LoadAverage()}");
            Console.WriteLine($"text: {textPath}; throughput: {maxTokens} new tokens per request, 16-token prompts, {perStream} requests per stream");
            Console.WriteLine("| model | K/V heads (query heads) | perplexity | mean NLL | KV B/token | default pool tokens | tokens in 16 MiB | tok/s 1 stream | tok/s 16 streams | load avg |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
            foreach (var (label, path, kvHeads) in variants)
            {
                var row = await MeasureAsync(label, path, kvHeads, text, maxTokens, perStream);
                rows.Add(row);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {label} | {row["kv_heads"]}{(row["regrouped_from_kv_heads"] is { } from ? $" (pooled from {from})" : "")} of {row["query_heads"]} | {row["perplexity"]:F3} | {row["mean_nll"]:F4} | {row["kv_bytes_per_token"]} | {row["default_pool_tokens"]} | {row["tokens_in_16_mib"]} | {row["tokens_per_second_1_stream"]:F0} | {row["tokens_per_second_16_streams"]:F0} | {row["load_average"]} |"));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        if (output is not null)
        {
            var document = new Dictionary<string, object?>
            {
                ["generated_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["cores"] = Environment.ProcessorCount,
                ["text"] = Path.GetFileName(textPath),
                ["throughput"] = new Dictionary<string, object?> { ["new_tokens_per_request"] = maxTokens, ["prompt_tokens"] = 16, ["requests_per_stream"] = perStream },
                ["fixed_budget_mib"] = FixedBudgetMiB,
                ["rows"] = rows,
            };
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        return 0;
    }

    private static async Task<Dictionary<string, object?>> MeasureAsync(string label, string path, int kvHeads, string text, int maxTokens, int perStream)
    {
        var options = new EngineOptions { ModelPath = path, KvHeads = kvHeads, RequestTimeoutSeconds = 0 };
        using var engine = await EngineClient.StartAsync(options);
        var tokens = engine.Tokenizer!.Encode(text, addBos: true);
        var outcome = await PerplexityRunner.RunAsync(engine, tokens, stride: null, $"table-{kvHeads}");
        var result = outcome.Result ?? throw new InvalidOperationException($"{outcome.Failed!.Code}: {outcome.Failed.Message}");
        var memory = engine.GetMemorySnapshot();
        var config = engine.Model.Config;
        var fixedBlocks = KvBudget.Blocks(config, new EngineOptions { KvCacheMiB = FixedBudgetMiB }, engine.Limits.ContextTokens);
        var random = new Random(1234);
        await EngineClient.StreamAsync(engine, ThroughputBenchmark.Prompt(random, 16, config), 16, "warmup");
        var single = await TokensPerSecondAsync(engine, 1, perStream, maxTokens, random);
        var sixteen = await TokensPerSecondAsync(engine, 16, perStream, maxTokens, random);
        await engine.StopAsync();
        return new Dictionary<string, object?>
        {
            ["model"] = label,
            ["checkpoint_kv_heads"] = engine.Model.RegroupedFromKvHeads ?? config.NumKvHeads,
            ["kv_heads"] = config.NumKvHeads,
            ["query_heads"] = config.NumHeads,
            ["regrouped_from_kv_heads"] = engine.Model.RegroupedFromKvHeads,
            ["scored_tokens"] = result.Tokens,
            ["window"] = result.Window,
            ["stride"] = result.Stride,
            ["mean_nll"] = Math.Round(result.MeanNegativeLogLikelihood, 6),
            ["perplexity"] = Math.Round(result.Perplexity, 4),
            ["kv_bytes_per_token"] = result.KvBytesPerToken,
            ["default_pool_tokens"] = memory.BlocksTotal * memory.BlockSize,
            ["default_pool_bytes"] = memory.BytesTotal,
            ["tokens_in_16_mib"] = fixedBlocks * memory.BlockSize,
            ["tokens_per_second_1_stream"] = Math.Round(single, 1),
            ["tokens_per_second_16_streams"] = Math.Round(sixteen, 1),
            ["load_average"] = LoadAverage(),
        };
    }

    private static async Task<double> TokensPerSecondAsync(InferenceEngine engine, int streams, int perStream, int maxTokens, Random random)
    {
        var (timings, seconds) = await ThroughputBenchmark.RunLevelAsync(engine, streams, perStream, 16, maxTokens, random);
        return timings.Sum(t => t.Tokens) / seconds;
    }

    /// <summary>The 1-minute load average (Linux), so every figure carries how busy the machine was.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
