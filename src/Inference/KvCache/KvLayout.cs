using GqaService.Inference.Engine;
using GqaService.Inference.Model;
using static TorchSharp.torch;

namespace GqaService.Inference.KvCache;

/// <summary>
/// The one definition of what a K/V token slot is: per layer, <c>n_kv_heads x head_dim</c> elements of K and as many of V,
/// in <see cref="Dtype"/>. Bytes per token and per block, the pool's tensors, the budget's block count, admission,
/// <c>/v1/memory</c> and the start-up summary all read it from here.
/// </summary>
public sealed record KvLayout
{
    /// <summary>The option spellings of <see cref="KvDtype"/>, in enum order.</summary>
    public static IReadOnlyList<string> DtypeNames { get; } = ["f32", "bf16", "f16"];

    public KvLayout(ModelConfig config, KvDtype dtype, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        Layers = config.NumLayers;
        Heads = config.NumHeads;
        KvHeads = config.NumKvHeads;
        HeadDim = config.HeadDim;
        Dtype = dtype;
        BlockSize = blockSize;
    }

    /// <summary>The layout the engine options ask for (<c>Inference:KvDtype</c>, <c>Inference:BlockSize</c>); the options are validated before.</summary>
    public static KvLayout For(ModelConfig config, EngineOptions options) =>
        new(config, ParseDtype(options.KvDtype), options.BlockSize);

    public int Layers { get; }
    public int Heads { get; }
    public int KvHeads { get; }
    public int HeadDim { get; }
    public KvDtype Dtype { get; }
    public int BlockSize { get; }

    public int BytesPerElement => Dtype == KvDtype.F32 ? sizeof(float) : sizeof(ushort);

    public ScalarType ScalarType => Dtype switch
    {
        KvDtype.Bf16 => ScalarType.BFloat16,
        KvDtype.F16 => ScalarType.Float16,
        _ => ScalarType.Float32,
    };

    /// <summary>The element type as /v1/memory and the start-up summary name it.</summary>
    public string DtypeName => Dtype switch
    {
        KvDtype.Bf16 => "bfloat16",
        KvDtype.F16 => "float16",
        _ => "float32",
    };

    /// <summary>Bytes of K plus V one token occupies across all layers.</summary>
    public long BytesPerToken => 2L * Layers * KvHeads * HeadDim * BytesPerElement;

    /// <summary>The same, had every query head its own K/V head (what GQA saves is the difference).</summary>
    public long MhaBytesPerToken => 2L * Layers * Heads * HeadDim * BytesPerElement;

    public long BytesPerBlock => BytesPerToken * BlockSize;

    /// <summary>Whole blocks that fit in <paramref name="bytes"/>, at least one.</summary>
    public int BlocksFor(long bytes) => (int)Math.Clamp(bytes / BytesPerBlock, 1, int.MaxValue);

    /// <summary>Reads an option value (<c>f32</c>, <c>bf16</c>, <c>f16</c>; case ignored).</summary>
    public static bool TryParseDtype(string? text, out KvDtype dtype)
    {
        for (var i = 0; i < DtypeNames.Count; i++)
        {
            if (string.Equals(text, DtypeNames[i], StringComparison.OrdinalIgnoreCase))
            {
                dtype = (KvDtype)i;
                return true;
            }
        }
        dtype = KvDtype.F32;
        return false;
    }

    public static KvDtype ParseDtype(string? text) => TryParseDtype(text, out var dtype)
        ? dtype
        : throw new ArgumentException($"KV dtype '{text}' is not one of {string.Join(", ", DtypeNames)}.", nameof(text));
}
