namespace GqaService.Inference.Tokenization;

/// <summary>Where a SentencePiece tokenizer puts its dummy prefix (U+2581) when the text is split around special tokens.</summary>
public enum DummyPrefix
{
    /// <summary>No prefix (GGUF <c>tokenizer.ggml.add_space_prefix</c> false).</summary>
    None,

    /// <summary>Before the first piece of text only (tokenizer.json <c>Metaspace</c> with <c>prepend_scheme</c> <c>first</c>).</summary>
    FirstSegment,

    /// <summary>Before every piece of text between special tokens: SentencePiece itself, Hugging Face's legacy Llama
    /// tokenizers and llama.cpp all do this.</summary>
    EverySegment,
}
