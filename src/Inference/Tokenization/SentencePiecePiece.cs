namespace GqaService.Inference.Tokenization;

/// <summary>One vocabulary entry of a SentencePiece BPE model: its text (spaces as U+2581), merge score and type.</summary>
public sealed record SentencePiecePiece(string Piece, float Score, SentencePieceType Type);
