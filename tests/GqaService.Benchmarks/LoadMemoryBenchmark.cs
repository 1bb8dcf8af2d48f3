using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using GqaService.Inference.Loading;

namespace GqaService.Benchmarks;

/// <summary>
/// Writes a synthetic Llama-shaped Hugging Face directory (BF16 safetensors, random finite weights, about 300M parameters
/// by default) and loads it, printing the load time, the managed bytes allocated while loading and the process's peak
/// resident set over what it was before, each per parameter. The weights end as float32 tensors (4 bytes a parameter);
/// anything above that is what loading costs.
/// </summary>
internal static class LoadMemoryBenchmark
{
    public static int Run(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        int dim = arguments.Int("--dim", 1024), layers = arguments.Int("--layers", 16), hidden = arguments.Int("--hidden", 4096);
        int heads = arguments.Int("--heads", 16), kvHeads = arguments.Int("--kv-heads", 4), vocab = arguments.Int("--vocab", 32000);
        var directory = Path.Combine(Path.GetTempPath(), "gqa-load-benchmark-" + Environment.ProcessId);
        Directory.CreateDirectory(directory);
        try
        {
            var parameters = Write(directory, dim, layers, hidden, heads, kvHeads, vocab);
            Console.WriteLine($"checkpoint: {parameters:N0} parameters, BF16, {new FileInfo(Path.Combine(directory, "model.safetensors")).Length:N0} bytes on disk");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var residentBefore = Resident("VmRSS");
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            using var model = ModelLoader.Load(directory);
            clock.Stop();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            var peak = Resident("VmHWM") - residentBefore;
            Console.WriteLine($"loaded in {clock.Elapsed.TotalSeconds:F1} s ({model.Weights.ParameterCount:N0} parameters, float32)");
            Console.WriteLine($"managed bytes allocated while loading: {allocated:N0} ({(double)allocated / parameters:F3} per parameter)");
            Console.WriteLine($"peak resident set over the start: {peak:N0} bytes ({(double)peak / parameters:F2} per parameter; the float32 weights are 4)");
            Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static long Resident(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    private static long Write(string directory, int dim, int layers, int hidden, int heads, int kvHeads, int vocab)
    {
        var headDim = dim / heads;
        var config = new Dictionary<string, object>
        {
            ["architectures"] = new[] { "LlamaForCausalLM" }, ["model_type"] = "llama", ["hidden_size"] = dim, ["intermediate_size"] = hidden,
            ["num_hidden_layers"] = layers, ["num_attention_heads"] = heads, ["num_key_value_heads"] = kvHeads, ["vocab_size"] = vocab,
            ["max_position_embeddings"] = 2048, ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 10000.0, ["tie_word_embeddings"] = false,
            ["hidden_act"] = "silu", ["bos_token_id"] = 1, ["eos_token_id"] = 2,
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(config));
        var tensors = new List<(string Name, long[] Shape)> { ("model.embed_tokens.weight", [vocab, dim]) };
        for (var i = 0; i < layers; i++)
        {
            var p = $"model.layers.{i}.";
            tensors.Add((p + "input_layernorm.weight", [dim]));
            tensors.Add((p + "self_attn.q_proj.weight", [heads * headDim, dim]));
            tensors.Add((p + "self_attn.k_proj.weight", [kvHeads * headDim, dim]));
            tensors.Add((p + "self_attn.v_proj.weight", [kvHeads * headDim, dim]));
            tensors.Add((p + "self_attn.o_proj.weight", [dim, heads * headDim]));
            tensors.Add((p + "post_attention_layernorm.weight", [dim]));
            tensors.Add((p + "mlp.gate_proj.weight", [hidden, dim]));
            tensors.Add((p + "mlp.up_proj.weight", [hidden, dim]));
            tensors.Add((p + "mlp.down_proj.weight", [dim, hidden]));
        }
        tensors.Add(("model.norm.weight", [dim]));
        tensors.Add(("lm_head.weight", [vocab, dim]));
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, shape) in tensors)
        {
            var bytes = shape.Aggregate(1L, (a, b) => a * b) * 2;
            header[name] = new { dtype = "BF16", shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var stream = new FileStream(Path.Combine(directory, "model.safetensors"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, json.Length);
        stream.Write(length);
        stream.Write(json);
        var random = new Random(7);
        var chunk = new byte[1 << 20];
        long parameters = 0;
        foreach (var (_, shape) in tensors)
        {
            var remaining = shape.Aggregate(1L, (a, b) => a * b) * 2;
            parameters += remaining / 2;
            while (remaining > 0)
            {
                var count = (int)Math.Min(chunk.Length, remaining);
                for (var i = 0; i < count; i += 2)
                {
                    // bfloat16 of a small random value: the upper half of its float32 bits.
                    var bits = BitConverter.SingleToInt32Bits((float)(random.NextDouble() - 0.5) * 0.1f);
                    BinaryPrimitives.WriteUInt16LittleEndian(chunk.AsSpan(i), (ushort)(bits >> 16));
                }
                stream.Write(chunk, 0, count);
                remaining -= count;
            }
        }
        return parameters;
    }
}
