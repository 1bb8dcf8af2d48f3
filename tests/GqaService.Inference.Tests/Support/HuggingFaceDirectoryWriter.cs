using System.Runtime.InteropServices;
using System.Text.Json;

namespace GqaService.Inference.Tests.Support;

/// <summary>
/// Writes a tiny Hugging Face Llama directory (config.json plus safetensors) from a random llama2.c checkpoint's arrays,
/// in F32, F16 or BF16, whole or sharded. Keeps the float values a correct loader must produce.
/// </summary>
internal sealed class HuggingFaceDirectoryWriter(Llama2cCheckpointWriter source)
{
    public string DType { get; init; } = "F32";

    /// <summary>Tensor name → (shape, values as stored, i.e. after rounding to <see cref="DType"/>).</summary>
    public Dictionary<string, (long[] Shape, float[] Values)> Tensors { get; } = new();

    public HuggingFaceDirectoryWriter Build()
    {
        long d = source.Dim, kv = source.KvDim, f = source.HiddenDim, v = source.VocabSize;
        Add("model.embed_tokens.weight", [v, d], source.Array("token_embedding"));
        for (var i = 0; i < source.NumLayers; i++)
        {
            Add($"model.layers.{i}.input_layernorm.weight", [d], Slice("rms_att", i, d));
            Add($"model.layers.{i}.self_attn.q_proj.weight", [d, d], Slice("wq", i, d * d));
            Add($"model.layers.{i}.self_attn.k_proj.weight", [kv, d], Slice("wk", i, kv * d));
            Add($"model.layers.{i}.self_attn.v_proj.weight", [kv, d], Slice("wv", i, kv * d));
            Add($"model.layers.{i}.self_attn.o_proj.weight", [d, d], Slice("wo", i, d * d));
            Add($"model.layers.{i}.post_attention_layernorm.weight", [d], Slice("rms_ffn", i, d));
            Add($"model.layers.{i}.mlp.gate_proj.weight", [f, d], Slice("w1", i, f * d));
            Add($"model.layers.{i}.mlp.down_proj.weight", [d, f], Slice("w2", i, d * f));
            Add($"model.layers.{i}.mlp.up_proj.weight", [f, d], Slice("w3", i, f * d));
        }
        Add("model.norm.weight", [d], source.Array("rms_final"));
        if (!source.SharedClassifier)
        {
            Add("lm_head.weight", [v, d], source.Array("wcls"));
        }
        return this;
    }

    public string ConfigJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model_type"] = "llama",
        ["hidden_size"] = source.Dim,
        ["intermediate_size"] = source.HiddenDim,
        ["num_hidden_layers"] = source.NumLayers,
        ["num_attention_heads"] = source.NumHeads,
        ["num_key_value_heads"] = source.NumKvHeads,
        ["vocab_size"] = source.VocabSize,
        ["max_position_embeddings"] = source.SeqLen,
        ["rms_norm_eps"] = 1e-5,
        ["tie_word_embeddings"] = source.SharedClassifier,
        ["bos_token_id"] = 1,
        ["eos_token_id"] = new[] { 2, 3 },
    });

    /// <summary>Writes config.json and the tensors, split over <paramref name="shards"/> files with an index when above 1.</summary>
    public void WriteTo(string directory, int shards = 1, Func<string, bool>? include = null)
    {
        File.WriteAllText(Path.Combine(directory, "config.json"), ConfigJson());
        var names = Tensors.Keys.Where(include ?? (_ => true)).ToList();
        if (shards == 1)
        {
            ToSafetensors(names).Write(Path.Combine(directory, "model.safetensors"));
            return;
        }
        var weightMap = new Dictionary<string, string>();
        for (var s = 0; s < shards; s++)
        {
            var file = $"model-{s + 1:00000}-of-{shards:00000}.safetensors";
            var part = names.Where((_, i) => i % shards == s).ToList();
            ToSafetensors(part).Write(Path.Combine(directory, file));
            part.ForEach(name => weightMap[name] = file);
        }
        File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));
    }

    private SafetensorsWriter ToSafetensors(IEnumerable<string> names)
    {
        var writer = new SafetensorsWriter();
        foreach (var name in names)
        {
            var (shape, values) = Tensors[name];
            writer.Add(name, DType, shape, Encode(values));
        }
        return writer;
    }

    private void Add(string name, long[] shape, float[] values) => Tensors[name] = (shape, Round(values));

    private float[] Slice(string array, int layer, long count) => source.Array(array).AsSpan((int)(layer * count), (int)count).ToArray();

    private float[] Round(float[] values) => DType switch
    {
        "F16" => values.Select(x => (float)(Half)x).ToArray(),
        // Truncation is a valid bf16 rounding; the loader must reproduce exactly the stored bits either way.
        "BF16" => values.Select(x => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(x) & unchecked((int)0xFFFF0000))).ToArray(),
        _ => values,
    };

    private byte[] Encode(float[] values) => DType switch
    {
        "F16" => MemoryMarshal.AsBytes(values.Select(x => (Half)x).ToArray().AsSpan()).ToArray(),
        "BF16" => MemoryMarshal.AsBytes(values.Select(x => (ushort)(BitConverter.SingleToUInt32Bits(x) >> 16)).ToArray().AsSpan()).ToArray(),
        _ => MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
    };
}
