using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace GqaService.Inference.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> of the byte-level BPE kind into a <see cref="ByteLevelBpeTextTokenizer"/>.
/// Anything else it would tokenize differently (another model type, byte fallback, pre-tokenizer or normaliser stages
/// it does not implement) is refused with <see cref="NotSupportedException"/> naming the construct.
/// </summary>
public static class TokenizerJsonReader
{
    /// <param name="bosToken">tokenizer_config.json's <c>bos_token</c>, when it names one.</param>
    /// <param name="addBosToken">tokenizer_config.json's <c>add_bos_token</c>; by default, whether the post-processor starts with a special token.</param>
    public static ByteLevelBpeTextTokenizer Read(string path, string? bosToken = null, string? eosToken = null, bool? addBosToken = null)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var model = root.GetProperty("model");
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type != "BPE")
        {
            throw new NotSupportedException($"model type '{type}' (only byte-level BPE tokenizer.json files are read)");
        }
        if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
        {
            throw new NotSupportedException("byte_fallback BPE (a SentencePiece model exported to JSON; use its tokenizer.model)");
        }
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (model.TryGetProperty(affix, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0)
            {
                throw new NotSupportedException($"BPE {affix} '{value.GetString()}'");
            }
        }
        var normalizeNfc = Normalizer(root);
        var steps = PreTokenizerSteps(root.GetProperty("pre_tokenizer"));
        var decoder = root.TryGetProperty("decoder", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("type", out var dt) ? dt.GetString() : null;
        if (decoder != "ByteLevel")
        {
            throw new NotSupportedException($"decoder '{decoder}' (only ByteLevel)");
        }

        var vocabulary = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        var merges = model.GetProperty("merges").EnumerateArray().Select(m => m.ValueKind == JsonValueKind.Array
            ? $"{m[0].GetString()} {m[1].GetString()}"
            : m.GetString()!).ToList();
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var addedTokens))
        {
            foreach (var token in addedTokens.EnumerateArray())
            {
                var content = token.GetProperty("content").GetString()!;
                foreach (var flag in new[] { "lstrip", "rstrip", "single_word" })
                {
                    if (token.TryGetProperty(flag, out var on) && on.ValueKind == JsonValueKind.True)
                    {
                        throw new NotSupportedException($"added token '{content}' with {flag}");
                    }
                }
                added[content] = token.GetProperty("id").GetInt32();
            }
        }
        var ignoreMerges = model.TryGetProperty("ignore_merges", out var ignore) && ignore.ValueKind == JsonValueKind.True;
        var bpe = BpeTokenizer.Create(new BpeOptions(vocabulary) { Merges = merges, ByteLevel = true });

        int? IdOf(string? token) => token is null ? null : added.TryGetValue(token, out var id) ? id : vocabulary.TryGetValue(token, out id) ? id : null;
        var templateBos = TemplateLeadingSpecialToken(root);
        var bos = bosToken ?? templateBos;
        var bosId = IdOf(bos);
        if (bos is not null && bosId is null)
        {
            throw new NotSupportedException($"bos_token '{bos}' is not in the vocabulary");
        }
        var eosId = IdOf(eosToken);
        return new ByteLevelBpeTextTokenizer(bpe, vocabulary, steps, added, normalizeNfc, ignoreMerges, bosId, eosId,
            addBosToken ?? (templateBos is not null && templateBos == bos));
    }

    private static bool Normalizer(JsonElement root)
    {
        if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind == JsonValueKind.Null)
        {
            return false;
        }
        var type = normalizer.GetProperty("type").GetString();
        return type == "NFC" ? true : throw new NotSupportedException($"normalizer '{type}' (only none or NFC)");
    }

    private static List<PreTokenizerStep> PreTokenizerSteps(JsonElement preTokenizer)
    {
        var stages = preTokenizer.GetProperty("type").GetString() == "Sequence"
            ? preTokenizer.GetProperty("pretokenizers").EnumerateArray().ToList()
            : [preTokenizer];
        var steps = new List<PreTokenizerStep>();
        var byteLevel = false;
        foreach (var stage in stages)
        {
            var type = stage.GetProperty("type").GetString();
            switch (type)
            {
                case "Split":
                    var behavior = stage.TryGetProperty("behavior", out var b) ? b.GetString() : null;
                    var inverted = stage.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True;
                    if (behavior != "Isolated" || inverted || !stage.GetProperty("pattern").TryGetProperty("Regex", out var regex))
                    {
                        throw new NotSupportedException($"Split pre-tokenizer with behavior '{behavior}'{(inverted ? ", inverted" : "")} or a non-regex pattern");
                    }
                    steps.Add(new PreTokenizerStep(new System.Text.RegularExpressions.Regex(regex.GetString()!,
                        System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.Compiled)));
                    break;
                case "Digits":
                    steps.Add(stage.TryGetProperty("individual_digits", out var individual) && individual.ValueKind == JsonValueKind.True
                        ? PreTokenizerStep.IndividualDigits
                        : PreTokenizerStep.DigitRuns);
                    break;
                case "ByteLevel":
                    if (stage.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.True)
                    {
                        throw new NotSupportedException("ByteLevel pre-tokenizer with add_prefix_space");
                    }
                    if (!stage.TryGetProperty("use_regex", out var useRegex) || useRegex.ValueKind == JsonValueKind.True)
                    {
                        steps.Add(PreTokenizerStep.Gpt2);
                    }
                    byteLevel = true;
                    break;
                default:
                    throw new NotSupportedException($"pre-tokenizer '{type}'");
            }
        }
        return byteLevel ? steps : throw new NotSupportedException("a pre-tokenizer without a ByteLevel stage");
    }

    /// <summary>The special token a TemplateProcessing post-processor puts before a single sequence (Llama 3's BOS), if any.</summary>
    private static string? TemplateLeadingSpecialToken(JsonElement root)
    {
        if (!root.TryGetProperty("post_processor", out var processor) || processor.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var processors = processor.GetProperty("type").GetString() == "Sequence"
            ? processor.GetProperty("processors").EnumerateArray().ToList()
            : [processor];
        foreach (var p in processors)
        {
            if (p.GetProperty("type").GetString() == "TemplateProcessing" && p.GetProperty("single") is { ValueKind: JsonValueKind.Array } single
                && single.GetArrayLength() > 0 && single[0].TryGetProperty("SpecialToken", out var special))
            {
                return special.GetProperty("id").GetString();
            }
        }
        return null;
    }
}
