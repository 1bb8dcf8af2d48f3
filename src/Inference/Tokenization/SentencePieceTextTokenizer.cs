using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace GqaService.Inference.Tokenization;

/// <summary>
/// A SentencePiece BPE model as Llama, TinyLlama and llama2.c use it: BOS prepended on request (never twice), special
/// tokens written in the text recognised as their ids, a dummy prefix space before each stretch of text between them,
/// byte-fallback pieces <c>&lt;0xNN&gt;</c> for bytes the vocabulary lacks. Built from a <c>tokenizer.model</c> or from the
/// same pieces given another way (<see cref="SentencePieceVocabulary"/>: a GGUF vocabulary, a tokenizer.json export).
/// </summary>
public sealed class SentencePieceTextTokenizer : ITextTokenizer
{
    private const char WordBoundary = '\u2581';
    private readonly SentencePieceTokenizer _tokenizer;
    private readonly byte[][] _tokenBytes;
    private readonly Dictionary<string, int> _specialTokens;
    private readonly Regex? _specialTokenPattern;
    private readonly DummyPrefix _dummyPrefix;
    private readonly Dictionary<int, string> _beyondVocabulary = new();

    private SentencePieceTextTokenizer(SentencePieceTokenizer tokenizer, IReadOnlyDictionary<string, int>? addedTokens, DummyPrefix dummyPrefix, bool addsBos)
    {
        _tokenizer = tokenizer;
        _dummyPrefix = dummyPrefix;
        AddsBos = addsBos;
        _specialTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (piece, id) in tokenizer.Vocabulary)
        {
            if (id == tokenizer.BeginningOfSentenceId || id == tokenizer.EndOfSentenceId || id == tokenizer.UnknownId)
            {
                _specialTokens[piece] = id;
            }
        }
        foreach (var (content, id) in addedTokens ?? new Dictionary<string, int>())
        {
            _specialTokens[content] = id;
        }
        var largestId = Math.Max(tokenizer.Vocabulary.Values.DefaultIfEmpty(-1).Max(), _specialTokens.Values.DefaultIfEmpty(-1).Max());
        VocabSize = largestId + 1;
        _tokenBytes = new byte[VocabSize][];
        Array.Fill(_tokenBytes, []);
        foreach (var (piece, id) in tokenizer.Vocabulary)
        {
            _tokenBytes[id] = PieceBytes(piece, id);
        }
        var pieceCount = tokenizer.Vocabulary.Count;
        foreach (var (content, id) in _specialTokens)
        {
            if (id >= pieceCount)
            {
                _beyondVocabulary[id] = content;
                _tokenBytes[id] = Encoding.UTF8.GetBytes(content);
            }
        }
        // Longest first, so a token that is a prefix of another never wins.
        _specialTokenPattern = _specialTokens.Count == 0 ? null : new Regex(
            string.Join("|", _specialTokens.Keys.OrderByDescending(t => t.Length).Select(Regex.Escape)), RegexOptions.CultureInvariant);
    }

    /// <param name="addedTokens">Added tokens of the model's files (tokenizer_config.json, tokenizer.json) recognised in text
    /// besides the model's own BOS, EOS and unknown pieces.</param>
    /// <param name="addsBos">tokenizer_config.json's <c>add_bos_token</c> (Llama's default: true).</param>
    public static SentencePieceTextTokenizer Load(string path, IReadOnlyDictionary<string, int>? addedTokens = null, bool addsBos = true)
    {
        using var stream = File.OpenRead(path);
        return new SentencePieceTextTokenizer(LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false), addedTokens,
            DummyPrefix.EverySegment, addsBos);
    }

    /// <summary>
    /// A tokenizer for pieces given as data. Control, user-defined and unknown pieces are special: written in text, they are
    /// their ids (as llama.cpp and Hugging Face treat them).
    /// </summary>
    public static SentencePieceTextTokenizer FromVocabulary(SentencePieceVocabulary vocabulary, DummyPrefix dummyPrefix, bool addsBos,
        IReadOnlyDictionary<string, int>? addedTokens = null)
    {
        using var stream = new MemoryStream(vocabulary.ToModelProto());
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < vocabulary.Pieces.Count; id++)
        {
            if (vocabulary.Pieces[id].Type is SentencePieceType.Control or SentencePieceType.UserDefined or SentencePieceType.Unknown)
            {
                special[vocabulary.Pieces[id].Piece] = id;
            }
        }
        foreach (var (content, id) in addedTokens ?? new Dictionary<string, int>())
        {
            special[content] = id;
        }
        return new SentencePieceTextTokenizer(LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false), special, dummyPrefix, addsBos);
    }

    public int VocabSize { get; }
    public int? BosTokenId => _tokenizer.BeginningOfSentenceId;
    public int? EosTokenId => _tokenizer.EndOfSentenceId;

    /// <summary>Whether <see cref="Encode"/> prepends BOS when asked to (the model files' <c>add_bos_token</c>).</summary>
    public bool AddsBos { get; }

    /// <summary>The tokens recognised in text as their ids, by content.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens => _specialTokens;

    /// <summary>
    /// Empty text still gets BOS, as llama2.c's encoder gives it; a text that starts with the BOS token (a rendered chat
    /// template) keeps just that one. Each stretch of text between special tokens is normalised here (dummy prefix, spaces
    /// as U+2581, which is all a Llama model's "identity" normaliser does) because Microsoft.ML.Tokenizers 2.0.1's own
    /// normaliser returns no ids at all for some short texts ("x", "I", "\n").
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addBos = true)
    {
        addBos &= AddsBos;
        var ids = new List<int>();
        if (addBos)
        {
            ids.Add(_tokenizer.BeginningOfSentenceId);
        }
        var at = 0;
        var first = true;
        if (_specialTokenPattern is not null)
        {
            foreach (Match match in _specialTokenPattern.Matches(text))
            {
                EncodeText(text[at..match.Index], first, ids);
                var id = _specialTokens[match.Value];
                if (!(addBos && ids.Count == 1 && match.Index == 0 && id == _tokenizer.BeginningOfSentenceId))
                {
                    ids.Add(id);
                }
                at = match.Index + match.Length;
                first = false;
            }
        }
        EncodeText(text[at..], first, ids);
        return ids;
    }

    /// <summary>Control tokens (BOS, EOS) decode to nothing, and the dummy prefix space of the first piece is dropped.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var pieces = new List<int>();
        foreach (var id in ids)
        {
            if (_beyondVocabulary.TryGetValue(id, out var added))
            {
                // An added token beyond the SentencePiece vocabulary decodes to its own text.
                text.Append(_tokenizer.Decode(pieces) ?? "").Append(added);
                pieces.Clear();
                continue;
            }
            pieces.Add(id);
        }
        text.Append(_tokenizer.Decode(pieces) ?? "");
        return text.ToString();
    }

    public byte[] TokenBytes(int id) => (uint)id < (uint)_tokenBytes.Length ? (byte[])_tokenBytes[id].Clone() : [];

    private void EncodeText(string text, bool first, List<int> ids)
    {
        if (text.Length == 0)
        {
            return;
        }
        var prefix = _dummyPrefix == DummyPrefix.EverySegment || (_dummyPrefix == DummyPrefix.FirstSegment && first);
        var normalised = (prefix ? WordBoundary.ToString() : "") + text.Replace(' ', WordBoundary);
        ids.AddRange(_tokenizer.EncodeToIds(normalised, addBeginningOfSentence: false, addEndOfSentence: false,
            considerPreTokenization: false, considerNormalization: false));
    }

    private bool IsControl(int id) => id == _tokenizer.BeginningOfSentenceId || id == _tokenizer.EndOfSentenceId || id == _tokenizer.UnknownId;

    private byte[] PieceBytes(string piece, int id)
    {
        if (IsControl(id))
        {
            return [];
        }
        // Byte-fallback pieces stand for one raw byte, possibly part of a multi-byte UTF-8 character.
        if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return [value];
        }
        return Encoding.UTF8.GetBytes(piece.Replace(WordBoundary, ' '));
    }
}
