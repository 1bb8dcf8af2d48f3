using System.Runtime.InteropServices;
using System.Text;

namespace GqaService.Inference.Tokenization;

/// <summary>
/// Turns a stream of token ids into text deltas that never split a UTF-8 character: bytes of an unfinished character
/// are held back until a later token completes it (byte-level BPE and byte-fallback pieces often carry half a character).
/// Not thread-safe: one per generation.
/// </summary>
public sealed class IncrementalDetokenizer
{
    private readonly ITextTokenizer _tokenizer;
    private readonly List<byte> _pending = [];
    private int? _previousToken;

    /// <param name="previousToken">The last prompt token. As llama2.c does, the leading space of a piece right after BOS is
    /// dropped: it is SentencePiece's dummy prefix, not text.</param>
    public IncrementalDetokenizer(ITextTokenizer tokenizer, int? previousToken = null)
    {
        _tokenizer = tokenizer;
        _previousToken = previousToken;
    }

    /// <summary>Returns the text completed by <paramref name="tokenId"/>, possibly empty.</summary>
    public string Add(int tokenId)
    {
        var bytes = _tokenizer.TokenBytes(tokenId);
        var skip = _previousToken is { } previous && previous == _tokenizer.BosTokenId && bytes.Length > 0 && bytes[0] == (byte)' ' ? 1 : 0;
        _previousToken = tokenId;
        _pending.AddRange(bytes.AsSpan(skip));
        var complete = _pending.Count - IncompleteTailLength();
        if (complete == 0)
        {
            return "";
        }
        var text = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(_pending)[..complete]);
        _pending.RemoveRange(0, complete);
        return text;
    }

    /// <summary>Returns whatever is still held back; bytes that never became a character decode to U+FFFD.</summary>
    public string Flush()
    {
        var text = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        return text;
    }

    /// <summary>
    /// How many trailing bytes form the start of a character whose remaining bytes have not arrived yet. Invalid
    /// sequences are not held (they could never complete), so they come out as U+FFFD rather than stalling the stream.
    /// </summary>
    private int IncompleteTailLength()
    {
        for (var back = 1; back <= Math.Min(3, _pending.Count); back++)
        {
            var b = _pending[^back];
            if ((b & 0b1100_0000) == 0b1000_0000)
            {
                continue;
            }
            var length = b switch
            {
                >= 0b1111_0000 and < 0b1111_1000 => 4,
                >= 0b1110_0000 => 3,
                >= 0b1100_0000 => 2,
                _ => 1,
            };
            return length > back ? back : 0;
        }
        return 0;
    }
}
