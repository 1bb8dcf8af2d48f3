namespace GqaService.Inference.Tokenization;

/// <summary>
/// A SentencePiece BPE model given as its pieces rather than as a <c>tokenizer.model</c> file (a GGUF file's embedded
/// vocabulary, or a SentencePiece model exported to <c>tokenizer.json</c>). Ids are positions in <see cref="Pieces"/>.
/// </summary>
/// <param name="PadId">-1 when the model has no padding piece.</param>
public sealed record SentencePieceVocabulary(IReadOnlyList<SentencePiecePiece> Pieces, int UnknownId, int BosId, int EosId, int PadId, bool ByteFallback)
{
    /// <summary>
    /// The vocabulary as a serialised SentencePiece <c>ModelProto</c> (sentencepiece_model.proto: pieces = 1, trainer_spec = 2,
    /// normalizer_spec = 3), so the one SentencePiece implementation loads it exactly as it loads a <c>tokenizer.model</c>.
    /// </summary>
    public byte[] ToModelProto()
    {
        var model = new ProtobufWriter();
        foreach (var piece in Pieces)
        {
            var entry = new ProtobufWriter();
            entry.String(1, piece.Piece);
            entry.Float(2, piece.Score);
            entry.Varint(3, (ulong)piece.Type);
            model.Message(1, entry);
        }
        var trainer = new ProtobufWriter();
        trainer.Varint(3, 2); // model_type BPE
        trainer.Varint(4, (ulong)Pieces.Count); // vocab_size
        trainer.Varint(35, ByteFallback ? 1UL : 0UL);
        trainer.Varint(40, unchecked((ulong)(long)UnknownId));
        trainer.Varint(41, unchecked((ulong)(long)BosId));
        trainer.Varint(42, unchecked((ulong)(long)EosId));
        trainer.Varint(43, unchecked((ulong)(long)PadId));
        model.Message(2, trainer);
        var normalizer = new ProtobufWriter();
        // The tokenizer adds the dummy prefix and escapes spaces itself; the model's own normaliser is the identity.
        normalizer.String(1, "identity");
        model.Message(3, normalizer);
        return model.ToArray();
    }
}
