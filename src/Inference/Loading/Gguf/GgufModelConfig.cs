using GqaService.Inference.Loading.Families;
using GqaService.Inference.Model;

namespace GqaService.Inference.Loading.Gguf;

/// <summary>The decoder configuration a GGUF file's metadata describes (<c>general.architecture</c> and its <c>{arch}.*</c> keys).</summary>
internal static class GgufModelConfig
{
    public static FamilyConfig Read(GgufFile file, int? contextLength)
    {
        var architecture = Text(file, "general.architecture") ?? throw new ModelLoadException(file.Path, "metadata lacks general.architecture.");
        var family = ModelFamilies.ForGgufArchitecture(architecture)
            ?? throw new ModelLoadException(file.Path, $"general.architecture '{architecture}' is not supported (supported: llama, qwen2).");
        if (file.Tensors.ContainsKey("rope_freqs.weight"))
        {
            throw new ModelLoadException(file.Path, "rope_freqs.weight (llama3 rope scaling baked into the file) is not supported yet.");
        }
        if (Text(file, $"{architecture}.rope.scaling.type") is { } scaling and not "none")
        {
            throw new ModelLoadException(file.Path, $"{architecture}.rope.scaling.type '{scaling}' is not supported.");
        }
        int Required(string key) => Integer(file, $"{architecture}.{key}") ?? throw new ModelLoadException(file.Path, $"metadata lacks {architecture}.{key}.");
        var heads = Required("attention.head_count");
        var dim = Required("embedding_length");
        var vocab = Integer(file, $"{architecture}.vocab_size")
            ?? (file.Metadata.TryGetValue("tokenizer.ggml.tokens", out var tokens) && tokens is object[] list ? list.Length : (int?)null)
            ?? (file.Tensors.TryGetValue("token_embd.weight", out var embedding) ? (int)embedding.Dimensions[^1] : (int?)null)
            ?? throw new ModelLoadException(file.Path, "the vocabulary size is given nowhere.");
        var headDim = Integer(file, $"{architecture}.attention.key_length");
        var notes = new List<string>();
        var trained = Required("context_length");
        if (contextLength is { } chosen && chosen != trained)
        {
            notes.Add($"context {chosen} from Inference:GgufContextLength ({architecture}.context_length says {trained}).");
        }
        var bos = Integer(file, "tokenizer.ggml.bos_token_id") ?? 1;
        var eos = Integer(file, "tokenizer.ggml.eos_token_id") ?? 2;
        try
        {
            var config = new ModelConfig
            {
                Dim = dim,
                HiddenDim = Required("feed_forward_length"),
                NumLayers = Required("block_count"),
                NumHeads = heads,
                NumKvHeads = Integer(file, $"{architecture}.attention.head_count_kv") ?? heads,
                VocabSize = vocab,
                MaxContext = contextLength ?? trained,
                HeadDimOverride = headDim is { } h && h != dim / heads ? h : null,
                NormEps = Number(file, $"{architecture}.attention.layer_norm_rms_epsilon") is { } eps ? (float)eps : (float)family.DefaultNormEps,
                RopeTheta = Number(file, $"{architecture}.rope.freq_base") is { } theta ? (float)theta : (float)family.DefaultRopeTheta,
                QkvBias = family.QkvBias,
                TiedEmbeddings = !file.Tensors.ContainsKey("output.weight"),
                RopeLayout = family.GgufRopeLayout,
                BosTokenId = bos,
                EosTokenId = eos,
            }.Validate();
            return new FamilyConfig(family, config, [eos], notes);
        }
        catch (ModelConfigException e)
        {
            throw new ModelLoadException(file.Path, $"invalid metadata for {e.Field}: {e.Message}", e);
        }
    }

    public static string? Text(GgufFile file, string key) => file.Metadata.TryGetValue(key, out var value) ? value as string : null;

    private static int? Integer(GgufFile file, string key) => file.Metadata.TryGetValue(key, out var value) && value is not (string or object[] or float or double)
        ? checked((int)Convert.ToInt64(value))
        : null;

    private static double? Number(GgufFile file, string key) => file.Metadata.TryGetValue(key, out var value) && value is float or double
        ? Convert.ToDouble(value)
        : null;
}
