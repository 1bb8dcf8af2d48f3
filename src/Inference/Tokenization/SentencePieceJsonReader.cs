using System.Text.Json;

namespace GqaService.Inference.Tokenization;

/// <summary>
/// Reads a SentencePiece BPE model exported to <c>tokenizer.json</c> (a <c>BPE</c> model with <c>byte_fallback</c>, as
/// Llama 2, TinyLlama and Mistral ship it) back into SentencePiece pieces. The export keeps the merges, not the scores:
/// a piece's score is minus the rank of the first merge that makes it, so SentencePiece's highest-score-first merging
/// picks the merges in Hugging Face's rank order. Added tokens are recognised in text: special ones as control pieces,
/// the others as user-defined ones. What it would tokenize differently is refused with <see cref="NotSupportedException"/>.
/// </summary>
public static class SentencePieceJsonReader
{
    private const string WordBoundary = "\u2581";

    /// <summary>True when the file is a SentencePiece export (byte-fallback BPE) rather than a byte-level BPE.</summary>
    public static bool IsSentencePieceExport(JsonElement root) =>
        root.TryGetProperty("model", out var model) && model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True;

    /// <param name="addBosToken">tokenizer_config.json's <c>add_bos_token</c>; by default, whether the post-processor starts with BOS.</param>
    public static SentencePieceTextTokenizer Read(JsonElement root, string? bosToken, string? eosToken, bool? addBosToken)
    {
        var model = root.GetProperty("model");
        if (model.GetProperty("type").GetString() != "BPE" || !IsSentencePieceExport(root))
        {
            throw new NotSupportedException("a tokenizer.json that is not a byte-fallback BPE (SentencePiece) export");
        }
        var dummyPrefix = DummyPrefixOf(root);
        var vocabulary = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        var added = new Dictionary<int, (string Content, bool Special)>();
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
                added[token.GetProperty("id").GetInt32()] = (content, token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True);
            }
        }
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        var mergeIndex = 0;
        foreach (var merge in model.GetProperty("merges").EnumerateArray())
        {
            var (left, right) = merge.ValueKind == JsonValueKind.Array
                ? (merge[0].GetString()!, merge[1].GetString()!)
                : SplitMerge(merge.GetString()!);
            rank.TryAdd(left + right, mergeIndex++);
        }
        var unknown = model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String ? unk.GetString() : null;
        var count = Math.Max(vocabulary.Values.DefaultIfEmpty(-1).Max(), added.Keys.DefaultIfEmpty(-1).Max()) + 1;
        var pieces = new SentencePiecePiece?[count];
        foreach (var (piece, id) in vocabulary)
        {
            var type = piece == unknown ? SentencePieceType.Unknown
                : added.TryGetValue(id, out var a) ? (a.Special ? SentencePieceType.Control : SentencePieceType.UserDefined)
                : IsByte(piece) ? SentencePieceType.Byte
                : SentencePieceType.Normal;
            // Pieces no merge makes (single characters, bytes) are never the result of a merge; the rest in rank order.
            var score = rank.TryGetValue(piece, out var r) ? -r : -(float)mergeIndex - id;
            pieces[id] = new SentencePiecePiece(piece, score, type);
        }
        foreach (var (id, (content, special)) in added)
        {
            pieces[id] ??= new SentencePiecePiece(content, 0, special ? SentencePieceType.Control : SentencePieceType.UserDefined);
        }
        if (Array.IndexOf(pieces, null) is var hole and >= 0)
        {
            throw new NotSupportedException($"a vocabulary with no token of id {hole}");
        }
        int IdOf(string? token) => token is null ? -1 : vocabulary.TryGetValue(token, out var id) ? id
            : added.FirstOrDefault(a => a.Value.Content == token) is { Value.Content: not null } hit ? hit.Key
            : throw new NotSupportedException($"special token '{token}' that is not in the vocabulary");
        var templateBos = TemplateLeadingSpecialToken(root);
        var bos = IdOf(bosToken ?? templateBos);
        var sentencePiece = new SentencePieceVocabulary(pieces!, unknown is null ? -1 : IdOf(unknown), bos, IdOf(eosToken), -1, ByteFallback: true);
        return SentencePieceTextTokenizer.FromVocabulary(sentencePiece, dummyPrefix, addBosToken ?? templateBos is not null);
    }

    private static (string, string) SplitMerge(string merge)
    {
        var space = merge.IndexOf(' ', 1);
        return space < 0 ? throw new NotSupportedException($"merge '{merge}' without a separating space") : (merge[..space], merge[(space + 1)..]);
    }

    private static bool IsByte(string piece) => piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>';

    /// <summary>
    /// The legacy Llama export normalises with Prepend(▁) and Replace(' ', ▁), which prefixes every stretch of text between
    /// added tokens; the newer one uses a Metaspace pre-tokenizer whose <c>prepend_scheme</c> says where.
    /// </summary>
    private static DummyPrefix DummyPrefixOf(JsonElement root)
    {
        var normalizer = root.TryGetProperty("normalizer", out var n) && n.ValueKind == JsonValueKind.Object ? n : (JsonElement?)null;
        var preTokenizer = root.TryGetProperty("pre_tokenizer", out var p) && p.ValueKind == JsonValueKind.Object ? p : (JsonElement?)null;
        if (normalizer is { } norm && preTokenizer is null)
        {
            var stages = norm.GetProperty("type").GetString() == "Sequence" ? norm.GetProperty("normalizers").EnumerateArray().ToList() : [norm];
            var prepend = stages.Count == 2
                && stages[0].GetProperty("type").GetString() == "Prepend" && stages[0].GetProperty("prepend").GetString() == WordBoundary
                && stages[1].GetProperty("type").GetString() == "Replace" && stages[1].GetProperty("pattern").TryGetProperty("String", out var from)
                && from.GetString() == " " && stages[1].GetProperty("content").GetString() == WordBoundary;
            var replaceOnly = stages.Count == 1
                && stages[0].GetProperty("type").GetString() == "Replace" && stages[0].GetProperty("pattern").TryGetProperty("String", out var only)
                && only.GetString() == " " && stages[0].GetProperty("content").GetString() == WordBoundary;
            return prepend ? DummyPrefix.EverySegment
                : replaceOnly ? DummyPrefix.None
                : throw new NotSupportedException("a normalizer other than Prepend('\u2581') + Replace(' ', '\u2581')");
        }
        if (normalizer is null && preTokenizer is { } pre && pre.GetProperty("type").GetString() == "Metaspace"
            && pre.GetProperty("replacement").GetString() == WordBoundary
            && !(pre.TryGetProperty("split", out var split) && split.ValueKind == JsonValueKind.True))
        {
            var scheme = pre.TryGetProperty("prepend_scheme", out var s) ? s.GetString() : "always";
            return scheme switch
            {
                "always" => DummyPrefix.EverySegment,
                "first" => DummyPrefix.FirstSegment,
                "never" => DummyPrefix.None,
                _ => throw new NotSupportedException($"Metaspace prepend_scheme '{scheme}'"),
            };
        }
        throw new NotSupportedException("a SentencePiece export whose normalizer/pre_tokenizer is not the Llama one (Prepend + Replace, or Metaspace without split)");
    }

    /// <summary>The special token a TemplateProcessing post-processor puts before a single sequence (Llama's BOS), if any.</summary>
    private static string? TemplateLeadingSpecialToken(JsonElement root) =>
        root.TryGetProperty("post_processor", out var processor) && processor.ValueKind == JsonValueKind.Object
        && processor.GetProperty("type").GetString() == "TemplateProcessing"
        && processor.GetProperty("single") is { ValueKind: JsonValueKind.Array } single && single.GetArrayLength() > 0
        && single[0].TryGetProperty("SpecialToken", out var special)
            ? special.GetProperty("id").GetString()
            : null;
}
