using GqaService.Inference.Model;
using GqaService.Inference.Templating;

namespace GqaService.Inference.Engine;

/// <summary>The served model, as /v1/models and responses name it.</summary>
public sealed record ModelDescription(string Id, ModelConfig Config, bool IsDemo, bool HasTokenizer, long ParameterCount, string Source)
{
    /// <summary>The model family (config.json <c>model_type</c>, or the GGUF architecture's family).</summary>
    public string Family { get; init; } = "llama";

    /// <summary>What encodes text: <c>sentencepiece</c>, <c>gpt2</c>, <c>bpe</c> (tokenizer.json) or <c>none</c>.</summary>
    public string TokenizerKind { get; init; } = "none";

    /// <summary>Every token id that ends a reply (config, generation config and tokenizer config together); never empty.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [Config.EosTokenId];

    /// <summary>
    /// The model's own chat template, parsed at load; null when its files carry none or the interpreter cannot run it
    /// (then <see cref="Notes"/> says why and chat uses the plain template).
    /// </summary>
    public ChatTemplate? ChatTemplate { get; init; }

    /// <summary>Where <see cref="ChatTemplate"/> came from (for example <c>tokenizer_config.json</c> or GGUF <c>tokenizer.chat_template</c>).</summary>
    public string? ChatTemplateOrigin { get; init; }

    /// <summary>The template's <c>bos_token</c> and <c>eos_token</c> variables (the tokenizer config's texts), when known.</summary>
    public string? BosToken { get; init; }

    public string? EosToken { get; init; }

    /// <summary>How the weights are stored in the files (F32, F16, BF16, Q8_0, ...), comma separated when mixed.</summary>
    public string WeightPrecision { get; init; } = "F32";

    /// <summary>
    /// The dtype linear weights are kept and multiplied in (Inference:WeightDtype); norms, the residual stream, softmax and
    /// logits are float32 whatever it is.
    /// </summary>
    public string ComputePrecision { get; init; } = "float32";

    /// <summary>generation_config.json's sampling values, used where a request names none.</summary>
    public GenerationDefaults GenerationDefaults { get; init; } = GenerationDefaults.None;

    /// <summary>The checkpoint's own K/V head count when <see cref="Loading.KvHeadRegrouping"/> pooled it to <c>Config.NumKvHeads</c>; null when served as trained.</summary>
    public int? RegroupedFromKvHeads { get; init; }

    /// <summary>Decisions taken at load that an operator should know about (a capped context, for example).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
