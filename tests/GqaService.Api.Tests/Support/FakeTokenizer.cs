using GqaService.Inference.Tokenization;

namespace GqaService.Api.Tests.Support;

/// <summary>One token per ASCII character (id = character code); BOS 1, EOS 2. Characters above 127 become '?'.</summary>
internal sealed class FakeTokenizer : ITextTokenizer
{
    public int VocabSize => FakeInferenceEngine.VocabSize;
    public int? BosTokenId => 1;
    public int? EosTokenId => 2;

    public IReadOnlyList<int> Encode(string text, bool addBos = true)
    {
        var ids = new List<int>(text.Length + 1);
        if (addBos)
        {
            ids.Add(1);
        }
        ids.AddRange(text.Select(c => c < 128 ? (int)c : '?'));
        return ids;
    }

    public string Decode(IEnumerable<int> ids) => new(ids.Where(id => id > 2).Select(id => (char)id).ToArray());

    public byte[] TokenBytes(int id) => id > 2 ? [(byte)id] : [];
}
