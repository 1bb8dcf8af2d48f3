namespace GqaService.Inference.Model;

/// <summary>
/// Shape of a Llama-family decoder with grouped-query attention. MHA is <c>NumKvHeads == NumHeads</c>,
/// MQA is <c>NumKvHeads == 1</c>; everything in between is GQA with <see cref="GroupSize"/> query heads per K/V head.
/// </summary>
public sealed record ModelConfig
{
    public required int Dim { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int HiddenDim { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxContext { get; init; }

    /// <summary>Defaults to <c>Dim / NumHeads</c>.</summary>
    public int? HeadDimOverride { get; init; }
    public float NormEps { get; init; } = 1e-5f;
    public float RopeTheta { get; init; } = 10000f;
    public bool TiedEmbeddings { get; init; } = true;
    public RopeLayout RopeLayout { get; init; } = RopeLayout.Interleaved;
    public RopeScaling RopeScaling { get; init; } = RopeScaling.None;
    /// <summary>Q, K and V projections carry a bias (Qwen2).</summary>
    public bool QkvBias { get; init; }
    public int BosTokenId { get; init; } = 1;
    public int EosTokenId { get; init; } = 2;

    public int HeadDim => HeadDimOverride ?? Dim / NumHeads;
    public int GroupSize => NumHeads / NumKvHeads;
    public int QueryWidth => NumHeads * HeadDim;
    public int KvWidth => NumKvHeads * HeadDim;

    /// <summary>Bytes of K plus V one token occupies across all layers.</summary>
    public long KvBytesPerToken(int bytesPerElement) => 2L * NumLayers * NumKvHeads * HeadDim * bytesPerElement;

    /// <summary>The same, had every query head its own K/V head.</summary>
    public long MhaKvBytesPerToken(int bytesPerElement) => 2L * NumLayers * NumHeads * HeadDim * bytesPerElement;

    public ModelConfig Validate()
    {
        Positive(Dim, nameof(Dim));
        Positive(NumLayers, nameof(NumLayers));
        Positive(NumHeads, nameof(NumHeads));
        Positive(NumKvHeads, nameof(NumKvHeads));
        Positive(HiddenDim, nameof(HiddenDim));
        Positive(VocabSize, nameof(VocabSize));
        Positive(MaxContext, nameof(MaxContext));
        if (NumHeads % NumKvHeads != 0)
        {
            throw new ModelConfigException(nameof(NumKvHeads), $"n_kv_heads ({NumKvHeads}) must divide n_heads ({NumHeads}).");
        }
        if (HeadDimOverride is null && Dim % NumHeads != 0)
        {
            throw new ModelConfigException(nameof(NumHeads), $"n_heads ({NumHeads}) must divide dim ({Dim}).");
        }
        Positive(HeadDim, nameof(HeadDim));
        if (HeadDim % 2 != 0)
        {
            throw new ModelConfigException(nameof(HeadDim), $"head_dim ({HeadDim}) must be even for rotary embeddings.");
        }
        if (!(NormEps > 0))
        {
            throw new ModelConfigException(nameof(NormEps), $"norm_eps ({NormEps}) must be positive.");
        }
        if (!(RopeTheta > 0))
        {
            throw new ModelConfigException(nameof(RopeTheta), $"rope_theta ({RopeTheta}) must be positive.");
        }
        RopeScaling.Validate();
        if (BosTokenId < 0 || BosTokenId >= VocabSize || EosTokenId < 0 || EosTokenId >= VocabSize)
        {
            throw new ModelConfigException(nameof(EosTokenId), $"BOS ({BosTokenId}) and EOS ({EosTokenId}) must lie inside the vocabulary ({VocabSize}).");
        }
        return this;
    }

    private static void Positive(int value, string field)
    {
        if (value <= 0)
        {
            throw new ModelConfigException(field, $"must be positive, got {value}.");
        }
    }
}
