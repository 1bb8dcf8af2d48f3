using System.Text;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Tests.Tokenization;

/// <summary>A tokenizer whose token i is whatever bytes the test says, for exercising byte-level edge cases.</summary>
internal sealed class FakeByteTokenizer(IReadOnlyList<byte[]> tokens, int? bos = null) : ITextTokenizer
{
    public int VocabSize => tokens.Count;
    public int? BosTokenId => bos;
    public int? EosTokenId => null;
    public IReadOnlyList<int> Encode(string text, bool addBos = true) => throw new NotSupportedException();
    public string Decode(IEnumerable<int> ids) => Encoding.UTF8.GetString(ids.SelectMany(TokenBytes).ToArray());
    public byte[] TokenBytes(int id) => tokens[id];
}
