namespace GqaService.Inference.Tokenization;

/// <summary>Text to ids and back. Thread-safe.</summary>
public interface ITextTokenizer
{
    int VocabSize { get; }
    int? BosTokenId { get; }
    int? EosTokenId { get; }

    /// <summary>Encodes <paramref name="text"/>, prepending BOS when the tokenizer has one and <paramref name="addBos"/> is set.</summary>
    IReadOnlyList<int> Encode(string text, bool addBos = true);

    string Decode(IEnumerable<int> ids);

    /// <summary>The raw bytes a token stands for (for streaming detokenisation that never splits a UTF-8 character).</summary>
    byte[] TokenBytes(int id);
}
