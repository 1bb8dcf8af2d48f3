using System.Text.RegularExpressions;
using GqaService.Inference.Tokenization;
using Microsoft.ML.Tokenizers;

namespace GqaService.Inference.Loading.Gguf;

/// <summary>
/// The tokenizer a GGUF file embeds (<c>tokenizer.ggml.*</c>), read from the already mapped metadata: <c>llama</c> is a
/// SentencePiece BPE model given as pieces, scores and token types; <c>gpt2</c> a byte-level BPE given as tokens and
/// merges, pre-tokenized as <c>tokenizer.ggml.pre</c> names. Control and user-defined tokens written in text are their ids
/// (as llama.cpp's <c>parse_special</c> and Hugging Face treat them). Any other tokenizer model or pre-tokenizer is refused by name.
/// </summary>
internal static class GgufTokenizerReader
{
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.Compiled;

    /// <summary>The pre-tokenizers of llama.cpp's <c>tokenizer.ggml.pre</c> names, as their tokenizer.json files split text.</summary>
    private static readonly Dictionary<string, (PreTokenizerStep[] Steps, bool IgnoreMerges, bool Nfc)> PreTokenizers = new(StringComparer.Ordinal)
    {
        ["default"] = ([PreTokenizerStep.Gpt2], false, false),
        ["gpt2"] = ([PreTokenizerStep.Gpt2], false, false),
        ["smollm"] = ([PreTokenizerStep.IndividualDigits, PreTokenizerStep.Gpt2], false, false),
        ["llama-bpe"] = ([new PreTokenizerStep(new Regex(
            @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", Options))], true, false),
        ["qwen2"] = ([new PreTokenizerStep(new Regex(
            @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", Options))], false, true),
    };

    public static TokenizerFiles Read(GgufFile file, int vocabSize)
    {
        var template = GgufModelConfig.Text(file, "tokenizer.chat_template");
        var templateOrigin = template is null ? null : "GGUF tokenizer.chat_template";
        var model = GgufModelConfig.Text(file, "tokenizer.ggml.model");
        if (model is null)
        {
            return new TokenizerFiles(null, "none", template, templateOrigin, [],
                ["the GGUF file embeds no vocabulary (tokenizer.ggml.model): prompts must be token ids."]);
        }
        var tokens = Strings(file, "tokenizer.ggml.tokens");
        if (tokens.Length > vocabSize)
        {
            throw new ModelLoadException(file.Path, $"tokenizer.ggml.tokens has {tokens.Length} tokens, the model only {vocabSize}.");
        }
        var types = Integers(file, "tokenizer.ggml.token_type", tokens.Length, (int)SentencePieceType.Normal);
        var bos = Id(file, "tokenizer.ggml.bos_token_id", tokens.Length);
        var eos = Id(file, "tokenizer.ggml.eos_token_id", tokens.Length);
        var moreEos = new[] { "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" }
            .Select(key => Id(file, key, tokens.Length)).OfType<int>().ToList();
        if (eos is { } e)
        {
            moreEos.Insert(0, e);
        }
        bool? addBos = file.Metadata.TryGetValue("tokenizer.ggml.add_bos_token", out var add) && add is bool flag ? flag : null;
        ITextTokenizer tokenizer;
        string kind;
        var notes = new List<string>();
        switch (model)
        {
            case "llama":
                tokenizer = SentencePiece(file, tokens, types, bos, eos, addBos ?? true);
                kind = "sentencepiece";
                break;
            case "gpt2":
                var pre = GgufModelConfig.Text(file, "tokenizer.ggml.pre") ?? "default";
                var byteLevel = BytePairs(file, tokens, types, pre, bos, eos, addBos ?? pre == "llama-bpe");
                if (byteLevel.NormalizationUnavailable)
                {
                    notes.Add("the tokenizer asks for NFC normalisation, which this runtime (invariant globalization) cannot do: decomposed characters are encoded as given.");
                }
                tokenizer = byteLevel;
                kind = "bpe";
                break;
            default:
                throw new ModelLoadException(file.Path, $"tokenizer.ggml.model '{model}' is not supported (supported: llama, gpt2).");
        }
        return new TokenizerFiles(tokenizer, kind, template, templateOrigin, moreEos, notes)
        {
            BosToken = bos is { } b ? tokens[b] : null,
            EosToken = eos is { } eo ? tokens[eo] : null,
        };
    }

    private static SentencePieceTextTokenizer SentencePiece(GgufFile file, string[] tokens, int[] types, int? bos, int? eos, bool addBos)
    {
        var scores = file.Metadata.TryGetValue("tokenizer.ggml.scores", out var s) && s is object[] list
            ? list.Select(Convert.ToSingle).ToArray()
            : throw new ModelLoadException(file.Path, "tokenizer.ggml.model 'llama' needs tokenizer.ggml.scores.");
        if (scores.Length != tokens.Length)
        {
            throw new ModelLoadException(file.Path, $"tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens.");
        }
        var pieces = new SentencePiecePiece[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!Enum.IsDefined(typeof(SentencePieceType), types[i]))
            {
                throw new ModelLoadException(file.Path, $"token {i} ('{tokens[i]}') has token type {types[i]}, which is not one of SentencePiece's (1-6).");
            }
            pieces[i] = new SentencePiecePiece(tokens[i], scores[i], (SentencePieceType)types[i]);
        }
        var unknown = Id(file, "tokenizer.ggml.unknown_token_id", tokens.Length) ?? 0;
        var pad = Id(file, "tokenizer.ggml.padding_token_id", tokens.Length) ?? -1;
        var addSpacePrefix = !file.Metadata.TryGetValue("tokenizer.ggml.add_space_prefix", out var space) || space is true;
        var vocabulary = new SentencePieceVocabulary(pieces, unknown, bos ?? -1, eos ?? -1, pad,
            ByteFallback: pieces.Any(p => p.Type == SentencePieceType.Byte));
        try
        {
            return SentencePieceTextTokenizer.FromVocabulary(vocabulary, addSpacePrefix ? DummyPrefix.EverySegment : DummyPrefix.None, addBos);
        }
        catch (Exception error) when (error is not ModelLoadException)
        {
            throw new ModelLoadException(file.Path, $"the embedded SentencePiece vocabulary cannot be used ({error.Message}).", error);
        }
    }

    private static ByteLevelBpeTextTokenizer BytePairs(GgufFile file, string[] tokens, int[] types, string pre, int? bos, int? eos, bool addBos)
    {
        if (!PreTokenizers.TryGetValue(pre, out var split))
        {
            throw new ModelLoadException(file.Path,
                $"tokenizer.ggml.pre '{pre}' is not supported (supported: {string.Join(", ", PreTokenizers.Keys.Order(StringComparer.Ordinal))}).");
        }
        var merges = Strings(file, "tokenizer.ggml.merges");
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++)
        {
            if ((SentencePieceType)types[i] is SentencePieceType.Control or SentencePieceType.UserDefined)
            {
                special[tokens[i]] = i;
            }
            else if (!vocabulary.TryAdd(tokens[i], i))
            {
                throw new ModelLoadException(file.Path, $"token '{tokens[i]}' appears twice in tokenizer.ggml.tokens (ids {vocabulary[tokens[i]]} and {i}).");
            }
        }
        try
        {
            var bpe = BpeTokenizer.Create(new BpeOptions(vocabulary) { Merges = merges, ByteLevel = true });
            return new ByteLevelBpeTextTokenizer(bpe, vocabulary, split.Steps, special, split.Nfc, split.IgnoreMerges, bos, eos, addBos);
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new ModelLoadException(file.Path, $"the embedded BPE vocabulary cannot be used ({error.Message}).", error);
        }
    }

    private static string[] Strings(GgufFile file, string key) => file.Metadata.TryGetValue(key, out var value) && value is object[] list && list.All(v => v is string)
        ? list.Cast<string>().ToArray()
        : throw new ModelLoadException(file.Path, $"metadata lacks {key} (an array of strings).");

    private static int[] Integers(GgufFile file, string key, int count, int fallback)
    {
        if (!file.Metadata.TryGetValue(key, out var value))
        {
            return Enumerable.Repeat(fallback, count).ToArray();
        }
        if (value is not object[] list || list.Length != count || list.Any(v => v is string or object[] or float or double))
        {
            throw new ModelLoadException(file.Path, $"{key} is not an array of {count} integers.");
        }
        return list.Select(v => checked((int)Convert.ToInt64(v))).ToArray();
    }

    /// <summary>A special token id, or null when the key is absent or holds llama.cpp's "none" (-1 written unsigned).</summary>
    private static int? Id(GgufFile file, string key, int count)
    {
        if (!file.Metadata.TryGetValue(key, out var value) || value is string or object[] or float or double)
        {
            return null;
        }
        var id = Convert.ToInt64(value);
        if (id is -1 or 0xFFFFFFFF)
        {
            return null;
        }
        return id >= 0 && id < count ? (int)id : throw new ModelLoadException(file.Path, $"{key} {id} is not a token id (vocabulary of {count}).");
    }
}
