using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace GqaService.Inference.Tokenization;

/// <summary>
/// A byte-level BPE <c>tokenizer.json</c> (Llama 3, Qwen2.5, SmolLM2): added tokens written in the text (<c>&lt;|eot_id|&gt;</c>,
/// <c>&lt;|im_start|&gt;</c>) become their ids first, as Hugging Face tokenizers do by default; the rest is normalised
/// (NFC where the file asks), pre-tokenized by the file's stages, and each piece merged by Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/>. BOS is prepended when asked for, but never twice: text that already starts with the BOS
/// token (a rendered chat template) keeps just that one.
/// </summary>
public sealed class ByteLevelBpeTextTokenizer : ITextTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly IReadOnlyDictionary<string, int> _vocabulary;
    private readonly IReadOnlyList<PreTokenizerStep> _steps;
    private readonly Regex? _addedTokenPattern;
    private readonly Dictionary<string, int> _addedTokens;
    private readonly Dictionary<int, byte[]> _tokenBytes = new();
    private readonly bool _normalizeNfc;
    private readonly bool _ignoreMerges;
    private readonly bool _addBosByDefault;

    internal ByteLevelBpeTextTokenizer(BpeTokenizer bpe, IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<PreTokenizerStep> steps,
        Dictionary<string, int> addedTokens, bool normalizeNfc, bool ignoreMerges, int? bosTokenId, int? eosTokenId, bool addBosByDefault)
    {
        _bpe = bpe;
        _vocabulary = vocabulary;
        _steps = steps;
        _addedTokens = addedTokens;
        _normalizeNfc = normalizeNfc;
        _ignoreMerges = ignoreMerges;
        BosTokenId = bosTokenId;
        EosTokenId = eosTokenId;
        _addBosByDefault = addBosByDefault && bosTokenId is not null;
        // Longest first, so a token that is a prefix of another never wins.
        _addedTokenPattern = addedTokens.Count == 0 ? null : new Regex(
            string.Join("|", addedTokens.Keys.OrderByDescending(t => t.Length).Select(Regex.Escape)), RegexOptions.CultureInvariant);
        foreach (var (token, id) in vocabulary)
        {
            if (ByteLevelAlphabet.Decode(token) is { } bytes)
            {
                _tokenBytes[id] = bytes;
            }
        }
        foreach (var (token, id) in addedTokens)
        {
            _tokenBytes[id] = Encoding.UTF8.GetBytes(token);
        }
        VocabSize = _tokenBytes.Keys.DefaultIfEmpty(-1).Max() + 1;
    }

    public int VocabSize { get; }
    public int? BosTokenId { get; }
    public int? EosTokenId { get; }

    /// <summary>
    /// True when the file asks for NFC but the runtime cannot normalise (the service runs with invariant globalization,
    /// where <see cref="string.Normalize(NormalizationForm)"/> leaves non-ASCII text as it is): decomposed input, rare in
    /// practice, is then encoded as given where Hugging Face would compose it first.
    /// </summary>
    public bool NormalizationUnavailable => _normalizeNfc && !NfcWorks;

    private static bool NfcWorks => "e\u0301".Normalize(NormalizationForm.FormC) == "\u00e9";

    /// <summary>The added (special) tokens recognised in text, by content.</summary>
    public IReadOnlyDictionary<string, int> AddedTokens => _addedTokens;

    /// <summary>
    /// <paramref name="addBos"/> adds BOS only where the tokenizer's own files add one (Llama 3 does, Qwen2.5 has no BOS),
    /// and never when the text already starts with it.
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addBos = true)
    {
        var ids = new List<int>();
        if (addBos && _addBosByDefault)
        {
            ids.Add(BosTokenId!.Value);
        }
        var at = 0;
        if (_addedTokenPattern is not null)
        {
            foreach (Match match in _addedTokenPattern.Matches(text))
            {
                EncodeText(text[at..match.Index], ids);
                var id = _addedTokens[match.Value];
                if (!(ids.Count == 1 && at == 0 && match.Index == 0 && id == BosTokenId && ids[0] == id))
                {
                    ids.Add(id);
                }
                at = match.Index + match.Length;
            }
        }
        EncodeText(text[at..], ids);
        return ids;
    }

    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (_tokenBytes.TryGetValue(id, out var tokenBytes))
            {
                bytes.AddRange(tokenBytes);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public byte[] TokenBytes(int id) => _tokenBytes.TryGetValue(id, out var bytes) ? (byte[])bytes.Clone() : [];

    private void EncodeText(string text, List<int> ids)
    {
        if (text.Length == 0)
        {
            return;
        }
        IEnumerable<string> pieces = [_normalizeNfc ? text.Normalize(NormalizationForm.FormC) : text];
        foreach (var step in _steps)
        {
            pieces = pieces.SelectMany(step.Split);
        }
        foreach (var piece in pieces)
        {
            // ignore_merges (Llama 3): a piece that is itself in the vocabulary is that token, whatever the merges would make.
            if (_ignoreMerges && _vocabulary.TryGetValue(ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(piece)), out var whole))
            {
                ids.Add(whole);
                continue;
            }
            ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
        }
    }
}
