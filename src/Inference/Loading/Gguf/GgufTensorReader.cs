using static TorchSharp.torch;

namespace GqaService.Inference.Loading.Gguf;

/// <summary>Hands out a GGUF file's tensors under their Hugging Face names (<see cref="WeightNames"/>), dequantised to float32.</summary>
internal sealed class GgufTensorReader(GgufFile file) : ITensorReader, ITensorCatalog
{
    private static readonly (string Gguf, string HuggingFace)[] LayerNames =
    [
        ("attn_norm.weight", WeightNames.AttentionNormSuffix),
        ("attn_q.weight", WeightNames.QuerySuffix),
        ("attn_k.weight", WeightNames.KeySuffix),
        ("attn_v.weight", WeightNames.ValueSuffix),
        ("attn_q.bias", WeightNames.QueryBiasSuffix),
        ("attn_k.bias", WeightNames.KeyBiasSuffix),
        ("attn_v.bias", WeightNames.ValueBiasSuffix),
        ("attn_output.weight", WeightNames.OutputSuffix),
        ("ffn_norm.weight", WeightNames.FeedForwardNormSuffix),
        ("ffn_gate.weight", WeightNames.GateSuffix),
        ("ffn_up.weight", WeightNames.UpSuffix),
        ("ffn_down.weight", WeightNames.DownSuffix),
    ];

    private readonly SortedSet<string> _typesRead = new(StringComparer.Ordinal);

    /// <summary>The ggml types of the tensors read so far.</summary>
    public IReadOnlyCollection<string> TypesRead => _typesRead;

    /// <summary>Names as the assembler knows them; a GGUF tensor with no Hugging Face counterpart keeps its own name (and is then refused as unused).</summary>
    public IEnumerable<string> TensorNames => file.Tensors.Keys.Select(ToHuggingFace);

    public string FileOf(string name) => file.Path;

    public Tensor Read(string name, long[] shape)
    {
        var ggufName = ToGguf(name);
        if (!file.Tensors.TryGetValue(ggufName, out var info))
        {
            throw new ModelLoadException(file.Path, $"missing tensor '{ggufName}' ({name}).");
        }
        if (!info.Shape.SequenceEqual(shape))
        {
            throw new ModelLoadException(file.Path,
                $"tensor '{ggufName}' has shape [{string.Join(", ", info.Shape)}], the model needs [{string.Join(", ", shape)}] (inconsistent shapes).");
        }
        _typesRead.Add(info.Type.ToString());
        return NativeTensors.Float32(shape, file.Path, ggufName, (offset, target) => file.Dequantize(info, offset, target));
    }

    private static string ToGguf(string name)
    {
        switch (name)
        {
            case WeightNames.TokenEmbedding: return "token_embd.weight";
            case WeightNames.FinalNorm: return "output_norm.weight";
            case WeightNames.Classifier: return "output.weight";
        }
        if (WeightNames.TryParseLayerName(name, out var layer, out var suffix))
        {
            foreach (var (gguf, huggingFace) in LayerNames)
            {
                if (huggingFace == suffix)
                {
                    return $"blk.{layer}.{gguf}";
                }
            }
        }
        return name;
    }

    private static string ToHuggingFace(string ggufName)
    {
        switch (ggufName)
        {
            case "token_embd.weight": return WeightNames.TokenEmbedding;
            case "output_norm.weight": return WeightNames.FinalNorm;
            case "output.weight": return WeightNames.Classifier;
        }
        var parts = ggufName.Split('.', 3);
        if (parts.Length == 3 && parts[0] == "blk" && int.TryParse(parts[1], out var layer))
        {
            foreach (var (gguf, huggingFace) in LayerNames)
            {
                if (gguf == parts[2])
                {
                    return $"model.layers.{layer}.{huggingFace}";
                }
            }
        }
        return ggufName;
    }
}
