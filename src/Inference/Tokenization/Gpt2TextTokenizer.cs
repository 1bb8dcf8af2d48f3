using System.Text;
using Microsoft.ML.Tokenizers;

namespace GqaService.Inference.Tokenization;

/// <summary>
/// GPT-2's byte-level BPE (50257 tokens, <c>&lt;|endoftext|&gt;</c> = 50256 ends a text). GPT-2 has no BOS token, so
/// <c>addBos</c> has no effect and <see cref="BosTokenId"/> is null.
/// </summary>
public sealed class Gpt2TextTokenizer : ITextTokenizer
{
    public const int EndOfText = 50256;
    private static readonly Lazy<Gpt2TextTokenizer> Shared = new(() => new Gpt2TextTokenizer());
    private readonly TiktokenTokenizer _tokenizer;
    private readonly Dictionary<int, byte[]> _tokenBytes;

    private Gpt2TextTokenizer()
    {
        _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        _tokenBytes = Gpt2TokenBytesTable.Load();
        foreach (var (text, id) in _tokenizer.SpecialTokens ?? new Dictionary<string, int>())
        {
            _tokenBytes[id] = Encoding.UTF8.GetBytes(text);
        }
        VocabSize = _tokenBytes.Keys.Max() + 1;
    }

    /// <summary>The tokenizer is immutable and its tables are large, so one instance serves everyone.</summary>
    public static Gpt2TextTokenizer Instance => Shared.Value;

    public int VocabSize { get; }
    public int? BosTokenId => null;
    public int? EosTokenId => EndOfText;

    public IReadOnlyList<int> Encode(string text, bool addBos = true) => _tokenizer.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids);

    /// <summary>Byte-level BPE tokens map to arbitrary bytes, often half a UTF-8 character; special tokens to their text.</summary>
    public byte[] TokenBytes(int id) => _tokenBytes.TryGetValue(id, out var bytes) ? (byte[])bytes.Clone() : [];
}
