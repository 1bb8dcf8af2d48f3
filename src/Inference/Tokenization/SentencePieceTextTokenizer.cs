using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace GqaService.Inference.Tokenization;

/// <summary>
/// A SentencePiece BPE model (<c>tokenizer.model</c>) as Llama and llama2.c use it: BOS prepended on request, a dummy
/// prefix space before the text, byte-fallback pieces <c>&lt;0xNN&gt;</c> for bytes the vocabulary lacks.
/// </summary>
public sealed class SentencePieceTextTokenizer : ITextTokenizer
{
    private const char WordBoundary = '\u2581';
    private readonly SentencePieceTokenizer _tokenizer;
    private readonly byte[][] _tokenBytes;

    private SentencePieceTextTokenizer(SentencePieceTokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        VocabSize = tokenizer.Vocabulary.Values.DefaultIfEmpty(-1).Max() + 1;
        _tokenBytes = new byte[VocabSize][];
        Array.Fill(_tokenBytes, []);
        foreach (var (piece, id) in tokenizer.Vocabulary)
        {
            _tokenBytes[id] = PieceBytes(piece, id);
        }
    }

    public static SentencePieceTextTokenizer Load(string path)
    {
        using var stream = File.OpenRead(path);
        return new SentencePieceTextTokenizer(LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false));
    }

    public int VocabSize { get; }
    public int? BosTokenId => _tokenizer.BeginningOfSentenceId;
    public int? EosTokenId => _tokenizer.EndOfSentenceId;

    /// <summary>
    /// Empty text still gets BOS, as llama2.c's encoder gives it. The text is normalised here (dummy prefix, spaces as
    /// U+2581, which is all a Llama model's "identity" normaliser does) because Microsoft.ML.Tokenizers 2.0.1's own
    /// normaliser returns no ids at all for some short texts ("x", "I", "\n").
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addBos = true)
    {
        if (text.Length == 0)
        {
            return addBos ? [_tokenizer.BeginningOfSentenceId] : [];
        }
        var normalised = WordBoundary + text.Replace(' ', WordBoundary);
        return _tokenizer.EncodeToIds(normalised, addBeginningOfSentence: addBos, addEndOfSentence: false,
            considerPreTokenization: false, considerNormalization: false);
    }

    /// <summary>Control tokens (BOS, EOS) decode to nothing, and the dummy prefix space of the first piece is dropped.</summary>
    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids) ?? "";

    public byte[] TokenBytes(int id) => (uint)id < (uint)_tokenBytes.Length ? (byte[])_tokenBytes[id].Clone() : [];

    private byte[] PieceBytes(string piece, int id)
    {
        if (id == _tokenizer.BeginningOfSentenceId || id == _tokenizer.EndOfSentenceId || id == _tokenizer.UnknownId)
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
