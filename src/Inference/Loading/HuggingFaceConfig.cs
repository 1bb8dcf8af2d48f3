using System.Text.Json;
using GqaService.Inference.Loading.Families;
using GqaService.Inference.Model;

namespace GqaService.Inference.Loading;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> through the <see cref="ModelFamily"/> its <c>model_type</c> names. Keys that
/// change the maths and are not implemented are refused by name, never ignored: an unknown key is refused too, unless it
/// is bookkeeping every family shares (<see cref="CommonKeys"/>) or one the family lists.
/// </summary>
internal static class HuggingFaceConfig
{
    /// <summary>Keys that describe training, tooling or generation defaults and leave the forward pass unchanged.</summary>
    private static readonly HashSet<string> CommonKeys =
    [
        "architectures", "model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "vocab_size", "max_position_embeddings", "head_dim", "rms_norm_eps", "rope_theta", "rope_scaling",
        "hidden_act", "tie_word_embeddings", "bos_token_id", "eos_token_id", "pad_token_id", "torch_dtype", "dtype",
        "transformers_version", "initializer_range", "use_cache", "attention_dropout", "_name_or_path", "transformers.js_config",
        "tokenizer_class", "output_attentions", "output_hidden_states", "return_dict", "unsloth_fixed", "_attn_implementation_autoset",
    ];

    private static readonly string[] SupportedRopeScaling = ["linear", "llama3", "yarn"];

    public static FamilyConfig Read(string path)
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
            try
            {
                var family = FamilyOf(path, root);
                RejectUnsupported(path, root, family);
                var notes = new List<string>();
                var heads = RequiredInt(path, root, "num_attention_heads");
                var maxPositions = RequiredInt(path, root, "max_position_embeddings");
                var eos = IntList(root, "eos_token_id");
                var config = new ModelConfig
                {
                    Dim = RequiredInt(path, root, "hidden_size"),
                    HiddenDim = RequiredInt(path, root, "intermediate_size"),
                    NumLayers = RequiredInt(path, root, "num_hidden_layers"),
                    NumHeads = heads,
                    NumKvHeads = OptionalInt(root, "num_key_value_heads") ?? heads,
                    VocabSize = RequiredInt(path, root, "vocab_size"),
                    MaxContext = ContextWithin(path, root, family, maxPositions, notes),
                    HeadDimOverride = OptionalInt(root, "head_dim"),
                    NormEps = (float)(OptionalDouble(root, "rms_norm_eps") ?? family.DefaultNormEps),
                    RopeTheta = (float)(OptionalDouble(root, "rope_theta") ?? family.DefaultRopeTheta),
                    RopeScaling = ReadRopeScaling(path, root),
                    QkvBias = family.QkvBias,
                    TiedEmbeddings = root.TryGetProperty("tie_word_embeddings", out var tied) && tied.ValueKind == JsonValueKind.True,
                    // Hugging Face permutes q/k rows at conversion so that rotate-half RoPE is equivalent to Meta's pairs.
                    RopeLayout = RopeLayout.RotateHalf,
                    BosTokenId = OptionalInt(root, "bos_token_id") ?? 1,
                    EosTokenId = eos.Count > 0 ? eos[0] : 2,
                }.Validate();
                return new FamilyConfig(family, config, eos.Count > 0 ? eos : [config.EosTokenId], notes);
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

    /// <summary>The token ids of a field that may be one id or a list of them (several EOS ids).</summary>
    public static IReadOnlyList<int> IntList(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return [];
        }
        return value.ValueKind switch
        {
            JsonValueKind.Null => [],
            JsonValueKind.Array => value.EnumerateArray().Select(e => e.GetInt32()).ToList(),
            _ => [value.GetInt32()],
        };
    }

    private static ModelFamily FamilyOf(string path, JsonElement root)
    {
        var modelType = root.TryGetProperty("model_type", out var type) ? type.GetString() : null;
        if (modelType is null)
        {
            throw new ModelLoadException(path, "config.json lacks model_type, so the model family is unknown.");
        }
        var family = ModelFamilies.ForModelType(modelType) ?? throw new ModelLoadException(path,
            $"model_type '{modelType}' is not supported (supported: {string.Join(", ", ModelFamilies.All.Select(f => f.Name))}).");
        if (root.TryGetProperty("architectures", out var architectures) && architectures.ValueKind == JsonValueKind.Array)
        {
            foreach (var architecture in architectures.EnumerateArray().Select(a => a.GetString()))
            {
                if (architecture is null || !family.Architectures.Contains(architecture))
                {
                    throw new ModelLoadException(path,
                        $"architecture '{architecture}' is not supported for model_type '{family.Name}' (supported: {string.Join(", ", family.Architectures)}).");
                }
            }
        }
        return family;
    }

    private static void RejectUnsupported(string path, JsonElement root, ModelFamily family)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!CommonKeys.Contains(property.Name) && !family.ExtraConfigKeys.Contains(property.Name))
            {
                throw new ModelLoadException(path,
                    $"config key '{property.Name}' is not understood for model_type '{family.Name}'; refusing rather than serving a model that may compute differently.");
            }
        }
        // These change the maths, so ignoring them would serve a silently wrong model.
        foreach (var flag in new[] { "attention_bias", "mlp_bias", "rope_interleaved" })
        {
            if (root.TryGetProperty(flag, out var value) && value.ValueKind == JsonValueKind.True)
            {
                throw new ModelLoadException(path, $"{flag} = true is not supported for model_type '{family.Name}'.");
            }
        }
        if (root.TryGetProperty("hidden_act", out var act) && act.ValueKind != JsonValueKind.Null)
        {
            var name = act.GetString();
            if (name is not ("silu" or "swish"))
            {
                throw new ModelLoadException(path, $"hidden_act '{name}' is not supported (only silu).");
            }
        }
    }

    /// <summary>
    /// A sliding window is exact as full attention while the context stays inside it, so the served context is capped
    /// at the window (and the cap noted) rather than attending beyond what the model was built to see.
    /// </summary>
    private static int ContextWithin(string path, JsonElement root, ModelFamily family, int maxPositions, List<string> notes)
    {
        var window = OptionalInt(root, "sliding_window");
        var applies = family.SlidingWindow switch
        {
            SlidingWindowRule.WhenSet => window is not null,
            SlidingWindowRule.WhenEnabled => window is not null && root.TryGetProperty("use_sliding_window", out var use) && use.ValueKind == JsonValueKind.True,
            _ => false,
        };
        if (!applies || window >= maxPositions)
        {
            return maxPositions;
        }
        if (window <= 0)
        {
            throw new ModelLoadException(path, $"sliding_window must be positive, got {window}.");
        }
        notes.Add($"context capped at sliding_window {window} (max_position_embeddings {maxPositions}): windowed attention is not implemented, and within the window full attention is exact.");
        return window!.Value;
    }

    private static RopeScaling ReadRopeScaling(string path, JsonElement root)
    {
        if (!root.TryGetProperty("rope_scaling", out var scaling) || scaling.ValueKind == JsonValueKind.Null)
        {
            return RopeScaling.None;
        }
        if (scaling.ValueKind != JsonValueKind.Object)
        {
            throw new ModelLoadException(path, "rope_scaling must be an object or null.");
        }
        var kind = (scaling.TryGetProperty("rope_type", out var t) ? t.GetString() : null)
            ?? (scaling.TryGetProperty("type", out var legacy) ? legacy.GetString() : null)
            ?? throw new ModelLoadException(path, "rope_scaling names no rope_type.");
        double? Number(string name) => OptionalDouble(scaling, name);
        double Factor() => Number("factor") ?? throw new ModelLoadException(path, $"rope_scaling of type '{kind}' lacks factor.");
        return kind switch
        {
            "default" => RopeScaling.None,
            "linear" => new RopeScaling { Kind = RopeScalingKind.Linear, Factor = Factor() },
            "llama3" => new RopeScaling
            {
                Kind = RopeScalingKind.Llama3,
                Factor = Factor(),
                LowFreqFactor = Number("low_freq_factor") ?? throw new ModelLoadException(path, "rope_scaling llama3 lacks low_freq_factor."),
                HighFreqFactor = Number("high_freq_factor") ?? throw new ModelLoadException(path, "rope_scaling llama3 lacks high_freq_factor."),
                OriginalMaxPositions = OptionalInt(scaling, "original_max_position_embeddings")
                    ?? throw new ModelLoadException(path, "rope_scaling llama3 lacks original_max_position_embeddings."),
            },
            "yarn" => Yarn(path, root, scaling),
            _ => throw new ModelLoadException(path,
                $"rope_scaling type '{kind}' is not supported (supported: {string.Join(", ", SupportedRopeScaling)}); serving it without would compute a different model."),
        };
    }

    /// <summary>
    /// YaRN's parameters as Hugging Face's <c>_compute_yarn_parameters</c> reads them: the original context defaults to
    /// max_position_embeddings (and a missing factor is their ratio), beta_fast/beta_slow to 32/1, and the attention factor,
    /// unless given, is mscale(factor, mscale) / mscale(factor, mscale_all_dim) when both are set, else mscale(factor).
    /// </summary>
    private static RopeScaling Yarn(string path, JsonElement root, JsonElement scaling)
    {
        double? Number(string name) => OptionalDouble(scaling, name);
        var maxPositions = RequiredInt(path, root, "max_position_embeddings");
        var original = OptionalInt(scaling, "original_max_position_embeddings") ?? maxPositions;
        var factor = Number("factor") ?? (double)maxPositions / original;
        var mscale = Number("mscale");
        var mscaleAllDim = Number("mscale_all_dim");
        var attention = Number("attention_factor") ?? (mscale is { } m && m != 0 && mscaleAllDim is { } all && all != 0
            ? RopeScaling.YarnMscale(factor, m) / RopeScaling.YarnMscale(factor, all)
            : RopeScaling.YarnMscale(factor));
        return new RopeScaling
        {
            Kind = RopeScalingKind.Yarn,
            Factor = factor,
            OriginalMaxPositions = original,
            BetaFast = Number("beta_fast") is { } fast && fast != 0 ? fast : 32,
            BetaSlow = Number("beta_slow") is { } slow && slow != 0 ? slow : 1,
            Truncate = !(scaling.TryGetProperty("truncate", out var truncate) && truncate.ValueKind == JsonValueKind.False),
            AttentionFactor = attention,
        };
    }

    private static int RequiredInt(string path, JsonElement root, string name) =>
        OptionalInt(root, name) ?? throw new ModelLoadException(path, $"config.json lacks required field '{name}'.");

    private static int? OptionalInt(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetInt32() : null;

    private static double? OptionalDouble(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetDouble() : null;
}
