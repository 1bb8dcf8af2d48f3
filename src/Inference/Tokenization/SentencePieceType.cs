namespace GqaService.Inference.Tokenization;

/// <summary>A piece's type, numbered as SentencePiece's <c>ModelProto.SentencePiece.Type</c> (and GGUF's <c>tokenizer.ggml.token_type</c>).</summary>
public enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
