using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Loading;

/// <summary>What a model directory says about text: its tokenizer (if any), chat template and the EOS ids its files add.</summary>
/// <param name="Kind">sentencepiece, bpe (tokenizer.json) or none.</param>
/// <param name="ExtraEosTokenIds">EOS ids named by generation_config.json and tokenizer_config.json, in that order.</param>
/// <param name="Notes">Where the tokenizer will differ from the files' own (for /v1/models and the log).</param>
internal sealed record TokenizerFiles(ITextTokenizer? Tokenizer, string Kind, string? ChatTemplate, string? ChatTemplateOrigin, IReadOnlyList<int> ExtraEosTokenIds,
    IReadOnlyList<string> Notes)
{
    /// <summary>tokenizer_config.json's <c>bos_token</c> text, the template's <c>bos_token</c> variable.</summary>
    public string? BosToken { get; init; }

    /// <summary>tokenizer_config.json's <c>eos_token</c> text, the template's <c>eos_token</c> variable.</summary>
    public string? EosToken { get; init; }
}
