using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>Rotary position embedding tables for every position up to the context length; owns them.</summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _cos; // [maxContext, headDim/2]
    private readonly Tensor _sin; // [maxContext, headDim/2]
    private readonly Tensor _rotation; // [maxContext, headDim/2] complex: cos + i sin
    private readonly RopeLayout _layout;
    private readonly int _halfDim;
    private readonly Scalar _one = 1.ToScalar(); // the alpha of add: held, so no temporary Scalar is made per step

    public RotaryEmbedding(ModelConfig config)
    {
        _layout = config.RopeLayout;
        _halfDim = config.HeadDim / 2;
        var frequencies = InverseFrequencies(config);
        // YaRN scales q and k alike through the tables; every other kind leaves them at 1.
        var attentionFactor = (float)config.RopeScaling.AttentionFactor;
        var cos = new float[config.MaxContext * _halfDim];
        var sin = new float[config.MaxContext * _halfDim];
        for (var position = 0; position < config.MaxContext; position++)
        {
            for (var i = 0; i < _halfDim; i++)
            {
                var frequency = frequencies[i];
                var angle = position * frequency;
                cos[position * _halfDim + i] = attentionFactor == 1 ? MathF.Cos(angle) : MathF.Cos(angle) * attentionFactor;
                sin[position * _halfDim + i] = attentionFactor == 1 ? MathF.Sin(angle) : MathF.Sin(angle) * attentionFactor;
            }
        }
        _cos = tensor(cos, [config.MaxContext, _halfDim]).DetachFromDisposeScope();
        _sin = tensor(sin, [config.MaxContext, _halfDim]).DetachFromDisposeScope();
        using var pairs = stack([_cos, _sin], -1);
        _rotation = view_as_complex(pairs).clone().DetachFromDisposeScope();
    }

    /// <summary>cos of every position's angles, [maxContext, headDim/2] float32 (owned here; the native layer kernel reads it).</summary>
    internal Tensor CosTable => _cos;

    /// <summary>sin of every position's angles, [maxContext, headDim/2] float32.</summary>
    internal Tensor SinTable => _sin;

    /// <summary>Radians per position of each pair, after the model's rope scaling.</summary>
    public static float[] InverseFrequencies(ModelConfig config)
    {
        var frequencies = new float[config.HeadDim / 2];
        for (var i = 0; i < frequencies.Length; i++)
        {
            // Single precision, as llama2.c's run.c computes it, so greedy paths match the reference bit for bit.
            var frequency = 1.0f / MathF.Pow(config.RopeTheta, 2 * i / (float)config.HeadDim);
            frequencies[i] = config.RopeScaling.Kind == RopeScalingKind.None ? frequency : (float)config.RopeScaling.Scale(frequency, i, config.HeadDim, config.RopeTheta);
        }
        return frequencies;
    }

    /// <summary>The per-position rotation for the given positions, shaped to broadcast over heads.</summary>
    public RotaryAngles For(Tensor positions) => _layout == RopeLayout.Interleaved
        ? new RotaryAngles(null, null, _rotation.index_select(0, positions).unsqueeze(1))
        : new RotaryAngles(_cos.index_select(0, positions).unsqueeze(1), _sin.index_select(0, positions).unsqueeze(1), null);

    /// <summary>Rotates x [N, heads, headDim] by its tokens' positions; returns a new tensor.</summary>
    public Tensor Apply(Tensor x, RotaryAngles angles)
    {
        if (angles.Complex is { } rotation)
        {
            // Adjacent pairs as complex numbers: one multiply rotates them all (same float arithmetic as the pairwise form).
            var pairs = view_as_complex(x.view(x.shape[0], x.shape[1], _halfDim, 2)); // [N, h, Dh/2] complex
            return view_as_real(pairs * rotation).view(x.shape);
        }
        var (cos, sin) = (angles.Cos!, angles.Sin!);
        var first = x.narrow(-1, 0, _halfDim);
        var second = x.narrow(-1, _halfDim, _halfDim);
        return cat([first.mul(cos).sub_(second.mul(sin)), second.mul(cos).add_(first.mul(sin), _one)], -1); // [N, h, Dh]
    }

    public void Dispose()
    {
        _one.Dispose();
        _rotation.Dispose();
        _cos.Dispose();
        _sin.Dispose();
    }
}
