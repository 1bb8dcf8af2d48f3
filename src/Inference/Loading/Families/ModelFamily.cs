using GqaService.Inference.Model;

namespace GqaService.Inference.Loading.Families;

/// <summary>
/// What distinguishes one decoder family from another, as data: the loaders read config and tensors through it
/// instead of branching on the family's name. Every family here shares the Hugging Face Llama tensor names
/// (<see cref="WeightNames"/>); GGUF files map theirs onto those.
/// </summary>
public sealed record ModelFamily
{
    /// <summary>The <c>model_type</c> of config.json.</summary>
    public required string Name { get; init; }

    /// <summary>Accepted entries of config.json's <c>architectures</c>.</summary>
    public required IReadOnlyList<string> Architectures { get; init; }

    /// <summary>The <c>general.architecture</c> of a GGUF file, which also prefixes its hyperparameter keys.</summary>
    public required string GgufArchitecture { get; init; }

    /// <summary>Q, K and V projections have biases (and O, gate, up, down have none).</summary>
    public bool QkvBias { get; init; }

    public Activation Activation { get; init; } = Activation.Silu;
    public NormPlacement NormPlacement { get; init; } = NormPlacement.PreNorm;
    public SlidingWindowRule SlidingWindow { get; init; } = SlidingWindowRule.None;

    /// <summary>How the q/k rows of a GGUF file of this family pair up for RoPE (llama.cpp un-permutes Llama, not Qwen2).</summary>
    public RopeLayout GgufRopeLayout { get; init; } = RopeLayout.Interleaved;

    public double DefaultRopeTheta { get; init; } = 10000;
    public double DefaultNormEps { get; init; } = 1e-6;

    /// <summary>config.json keys, beyond the common ones, that this family understands or may safely ignore.</summary>
    public IReadOnlySet<string> ExtraConfigKeys { get; init; } = new HashSet<string>();

    /// <summary>Per-layer tensors a checkpoint may carry that the decoder recomputes (old Llama exports' RoPE buffers).</summary>
    public IReadOnlySet<string> IgnoredLayerTensors { get; init; } = new HashSet<string> { "self_attn.rotary_emb.inv_freq" };

    /// <summary>The per-layer tensor names (suffixes after <c>model.layers.N.</c>) this family reads.</summary>
    public IReadOnlyList<string> LayerTensors => QkvBias
        ? [.. BaseLayerTensors, WeightNames.QueryBiasSuffix, WeightNames.KeyBiasSuffix, WeightNames.ValueBiasSuffix]
        : BaseLayerTensors;

    private static readonly string[] BaseLayerTensors =
    [
        WeightNames.AttentionNormSuffix, WeightNames.QuerySuffix, WeightNames.KeySuffix, WeightNames.ValueSuffix, WeightNames.OutputSuffix,
        WeightNames.FeedForwardNormSuffix, WeightNames.GateSuffix, WeightNames.UpSuffix, WeightNames.DownSuffix,
    ];
}
