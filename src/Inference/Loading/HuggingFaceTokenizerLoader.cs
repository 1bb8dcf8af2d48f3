using System.Text.Json;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Loading;

/// <summary>
/// Finds a model's tokenizer and the files around it: <c>tokenizer.model</c> (SentencePiece) is preferred where it exists
/// (TinyLlama ships both, and its tokenizer.json is a SentencePiece export), else <c>tokenizer.json</c> (byte-level BPE);
/// <c>tokenizer_config.json</c> gives BOS/EOS, <c>add_bos_token</c> and the chat template; <c>generation_config.json</c>
/// more EOS ids. An explicitly named tokenizer must exist; a missing default one leaves the model with token-id prompts only.
/// </summary>
internal static class HuggingFaceTokenizerLoader
{
    public const string SentencePieceFileName = "tokenizer.model";
    public const string TokenizerJsonFileName = "tokenizer.json";
    public const string TokenizerConfigFileName = "tokenizer_config.json";
    public const string GenerationConfigFileName = "generation_config.json";

    public static TokenizerFiles Load(string directory, string? explicitTokenizer, int vocabSize)
    {
        var tokenizerConfig = ReadJson(Path.Combine(directory, TokenizerConfigFileName));
        var bosToken = tokenizerConfig is { } tc ? TokenContent(tc, "bos_token") : null;
        var eosToken = tokenizerConfig is { } tc2 ? TokenContent(tc2, "eos_token") : null;
        bool? addBos = tokenizerConfig is { } tc3 && tc3.TryGetProperty("add_bos_token", out var add) && add.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? add.GetBoolean()
            : null;
        var path = explicitTokenizer ?? DefaultTokenizer(directory);
        ITextTokenizer? tokenizer = null;
        var kind = "none";
        if (path is not null)
        {
            if (!File.Exists(path))
            {
                throw new ModelLoadException(path, "tokenizer file not found.");
            }
            (tokenizer, kind) = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? ReadTokenizerJson(path, bosToken, eosToken, addBos)
                : (ReadSentencePiece(path, tokenizerConfig is { } config ? AddedTokens(config) : null, addBos), "sentencepiece");
            if (tokenizer.VocabSize > vocabSize)
            {
                throw new ModelLoadException(path, $"tokenizer has {tokenizer.VocabSize} tokens, the model only {vocabSize}.");
            }
        }
        var eos = new List<int>();
        if (ReadJson(Path.Combine(directory, GenerationConfigFileName)) is { } generation)
        {
            eos.AddRange(HuggingFaceConfig.IntList(generation, "eos_token_id"));
        }
        if (tokenizer?.EosTokenId is { } tokenizerEos && eosToken is not null)
        {
            eos.Add(tokenizerEos);
        }
        var template = tokenizerConfig is { } tc4 ? ChatTemplate(tc4) : null;
        IReadOnlyList<string> notes = tokenizer is ByteLevelBpeTextTokenizer { NormalizationUnavailable: true }
            ? ["tokenizer.json asks for NFC normalisation, which this runtime (invariant globalization) cannot do: decomposed characters are encoded as given."]
            : [];
        return new TokenizerFiles(tokenizer, kind, template, template is null ? null : TokenizerConfigFileName, eos, notes)
        {
            BosToken = bosToken,
            EosToken = eosToken,
        };
    }

    private static string? DefaultTokenizer(string directory)
    {
        var sentencePiece = Path.Combine(directory, SentencePieceFileName);
        if (File.Exists(sentencePiece))
        {
            return sentencePiece;
        }
        var json = Path.Combine(directory, TokenizerJsonFileName);
        return File.Exists(json) ? json : null;
    }

    /// <summary>A SentencePiece model exported to JSON (Llama 2, TinyLlama, Mistral) is read back as SentencePiece; the rest is byte-level BPE.</summary>
    private static (ITextTokenizer Tokenizer, string Kind) ReadTokenizerJson(string path, string? bosToken, string? eosToken, bool? addBos)
    {
        try
        {
            using (var document = JsonDocument.Parse(File.ReadAllBytes(path)))
            {
                if (SentencePieceJsonReader.IsSentencePieceExport(document.RootElement))
                {
                    return (SentencePieceJsonReader.Read(document.RootElement, bosToken, eosToken, addBos), "sentencepiece");
                }
            }
            return (TokenizerJsonReader.Read(path, bosToken, eosToken, addBos), "bpe");
        }
        catch (NotSupportedException e)
        {
            throw new ModelLoadException(path, $"tokenizer.json uses {e.Message}, which is not supported.", e);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new ModelLoadException(path, $"not a valid tokenizer.json ({e.Message}).", e);
        }
    }

    private static SentencePieceTextTokenizer ReadSentencePiece(string path, IReadOnlyDictionary<string, int>? addedTokens, bool? addBos)
    {
        try
        {
            return SentencePieceTextTokenizer.Load(path, addedTokens, addBos ?? true);
        }
        catch (Exception e) when (e is not ModelLoadException)
        {
            throw new ModelLoadException(path, $"not a SentencePiece model ({e.Message}).", e);
        }
    }

    /// <summary>The template named "default" when tokenizer_config.json holds a list of named templates.</summary>
    private static string? ChatTemplate(JsonElement config)
    {
        if (!config.TryGetProperty("chat_template", out var template))
        {
            return null;
        }
        return template.ValueKind switch
        {
            JsonValueKind.String => template.GetString(),
            JsonValueKind.Array => template.EnumerateArray()
                .FirstOrDefault(t => t.TryGetProperty("name", out var n) && n.GetString() == "default") is { ValueKind: JsonValueKind.Object } named
                ? named.GetProperty("template").GetString()
                : null,
            _ => null,
        };
    }

    /// <summary>tokenizer_config.json's <c>added_tokens_decoder</c> (id → AddedToken), which Hugging Face recognises in text.</summary>
    private static Dictionary<string, int>? AddedTokens(JsonElement config)
    {
        if (!config.TryGetProperty("added_tokens_decoder", out var decoder) || decoder.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in decoder.EnumerateObject())
        {
            if (int.TryParse(entry.Name, out var id) && entry.Value.TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 } text)
            {
                added[text] = id;
            }
        }
        return added;
    }

    /// <summary>A special token given as a string or as an AddedToken object with <c>content</c>.</summary>
    private static string? TokenContent(JsonElement config, string name)
    {
        if (!config.TryGetProperty(name, out var token))
        {
            return null;
        }
        return token.ValueKind switch
        {
            JsonValueKind.String => token.GetString(),
            JsonValueKind.Object when token.TryGetProperty("content", out var content) => content.GetString(),
            _ => null,
        };
    }

    private static JsonElement? ReadJson(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, $"not valid JSON: {e.Message}", e);
        }
    }
}
