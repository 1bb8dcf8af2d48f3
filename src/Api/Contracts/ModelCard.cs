namespace GqaService.Api.Contracts;

/// <summary>The served model, OpenAI-shaped, plus its architecture (extension fields).</summary>
public sealed record ModelCard
{
    /// <example>stories260K</example>
    public required string Id { get; init; }
    /// <example>model</example>
    public string Object { get; init; } = "model";
    public required long Created { get; init; }
    /// <example>gqa-service</example>
    public string OwnedBy { get; init; } = "gqa-service";
    /// <example>512</example>
    public int MaxContext { get; init; }
    /// <example>512</example>
    public int VocabSize { get; init; }
    /// <example>5</example>
    public int NumLayers { get; init; }
    /// <example>8</example>
    public int NumHeads { get; init; }
    /// <example>4</example>
    public int NumKvHeads { get; init; }
    /// <summary>The checkpoint's own K/V head count when the service mean-pooled it to <c>num_kv_heads</c> at load (Inference:KvHeads); null otherwise.</summary>
    public int? RegroupedFromKvHeads { get; init; }
    /// <example>8</example>
    public int HeadDim { get; init; }
    public long ParameterCount { get; init; }
    public bool IsDemo { get; init; }
    public bool HasTokenizer { get; init; }
    public string? Source { get; init; }
    /// <example>llama</example>
    public string? Family { get; init; }
    /// <summary>sentencepiece, gpt2, bpe (tokenizer.json) or none.</summary>
    /// <example>sentencepiece</example>
    public string? TokenizerKind { get; init; }
    /// <summary>Every token id that ends a reply.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>Where the chat template comes from: a file of the model, or "plain" (the documented fallback).</summary>
    /// <example>plain</example>
    public string? ChatTemplateSource { get; init; }
    /// <summary>How the weights were stored (F32, F16, BF16, Q8_0, ...).</summary>
    /// <example>F32</example>
    public string? WeightPrecision { get; init; }
    /// <summary>What the decoder computes in.</summary>
    /// <example>float32</example>
    public string? ComputePrecision { get; init; }
    /// <summary>generation_config.json's defaults for what a request leaves out; null when the model has none.</summary>
    public ModelGenerationDefaults? GenerationDefaults { get; init; }
    /// <summary>Load-time decisions worth knowing (a capped context, for example).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
