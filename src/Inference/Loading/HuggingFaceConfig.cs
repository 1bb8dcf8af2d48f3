using System.Text.Json;
using GqaService.Inference.Model;

namespace GqaService.Inference.Loading;

/// <summary>
/// Reads a Hugging Face Llama or Mistral <c>config.json</c>. Mistral's <c>sliding_window</c> is ignored: the engine attends
/// to the whole context, which is exact as long as prompts plus output stay within the window (4096 for Mistral 7B v0.1).
/// </summary>
internal static class HuggingFaceConfig
{
    private static readonly string[] SupportedModelTypes = ["llama", "mistral"];

    public static ModelConfig Read(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, $"config.json is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException(path, "config.json is not a JSON object.");
            }
            RejectUnsupported(path, root);
            try
            {
                var heads = RequiredInt(path, root, "num_attention_heads");
                return new ModelConfig
                {
                    Dim = RequiredInt(path, root, "hidden_size"),
                    HiddenDim = RequiredInt(path, root, "intermediate_size"),
                    NumLayers = RequiredInt(path, root, "num_hidden_layers"),
                    NumHeads = heads,
                    NumKvHeads = OptionalInt(root, "num_key_value_heads") ?? heads,
                    VocabSize = RequiredInt(path, root, "vocab_size"),
                    MaxContext = RequiredInt(path, root, "max_position_embeddings"),
                    HeadDimOverride = OptionalInt(root, "head_dim"),
                    NormEps = (float)(OptionalDouble(root, "rms_norm_eps") ?? 1e-6),
                    RopeTheta = (float)(OptionalDouble(root, "rope_theta") ?? 10000.0),
                    TiedEmbeddings = root.TryGetProperty("tie_word_embeddings", out var tied) && tied.ValueKind == JsonValueKind.True,
                    // Hugging Face permutes q/k rows at conversion so that rotate-half RoPE is equivalent to Meta's pairs.
                    RopeLayout = RopeLayout.RotateHalf,
                    BosTokenId = OptionalInt(root, "bos_token_id") ?? 1,
                    EosTokenId = OptionalInt(root, "eos_token_id") ?? 2,
                }.Validate();
            }
            catch (ModelConfigException e)
            {
                throw new ModelLoadException(path, $"invalid config field {e.Field}: {e.Message}", e);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new ModelLoadException(path, $"config.json has a value of the wrong type: {e.Message}", e);
            }
        }
    }

    private static void RejectUnsupported(string path, JsonElement root)
    {
        if (root.TryGetProperty("model_type", out var type) && !SupportedModelTypes.Contains(type.GetString()))
        {
            throw new ModelLoadException(path, $"model_type '{type}' is not supported (only {string.Join(", ", SupportedModelTypes)}).");
        }
        // These change the maths, so ignoring them would serve a silently wrong model.
        if (root.TryGetProperty("rope_scaling", out var scaling) && scaling.ValueKind != JsonValueKind.Null)
        {
            throw new ModelLoadException(path, "rope_scaling is not supported.");
        }
        foreach (var bias in new[] { "attention_bias", "mlp_bias" })
        {
            if (root.TryGetProperty(bias, out var value) && value.ValueKind == JsonValueKind.True)
            {
                throw new ModelLoadException(path, $"{bias} is not supported.");
            }
        }
        if (root.TryGetProperty("hidden_act", out var act) && act.GetString() is not ("silu" or null))
        {
            throw new ModelLoadException(path, $"hidden_act '{act}' is not supported (only silu).");
        }
    }

    private static int RequiredInt(string path, JsonElement root, string name) =>
        OptionalInt(root, name) ?? throw new ModelLoadException(path, $"config.json lacks required field '{name}'.");

    /// <summary>Token ids may be given as a list (several EOS ids); the first one is used.</summary>
    private static int? OptionalInt(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.Array => value.GetArrayLength() == 0 ? null : value[0].GetInt32(),
            _ => value.GetInt32(),
        };
    }

    private static double? OptionalDouble(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetDouble() : null;
}
