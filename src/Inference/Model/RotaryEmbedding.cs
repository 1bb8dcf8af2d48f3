using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>Rotary position embedding tables for every position up to the context length; owns them.</summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _cos; // [maxContext, headDim/2]
    private readonly Tensor _sin; // [maxContext, headDim/2]
    private readonly RopeLayout _layout;
    private readonly int _halfDim;

    public RotaryEmbedding(ModelConfig config)
    {
        _layout = config.RopeLayout;
        _halfDim = config.HeadDim / 2;
        var cos = new float[config.MaxContext * _halfDim];
        var sin = new float[config.MaxContext * _halfDim];
        for (var position = 0; position < config.MaxContext; position++)
        {
            for (var i = 0; i < _halfDim; i++)
            {
                // Single precision, as llama2.c's run.c computes it, so greedy paths match the reference bit for bit.
                var frequency = 1.0f / MathF.Pow(config.RopeTheta, 2 * i / (float)config.HeadDim);
                var angle = position * frequency;
                cos[position * _halfDim + i] = MathF.Cos(angle);
                sin[position * _halfDim + i] = MathF.Sin(angle);
            }
        }
        _cos = tensor(cos, [config.MaxContext, _halfDim]).DetachFromDisposeScope();
        _sin = tensor(sin, [config.MaxContext, _halfDim]).DetachFromDisposeScope();
    }

    /// <summary>cos and sin for the given positions, shaped [N, 1, headDim/2] to broadcast over heads.</summary>
    public (Tensor Cos, Tensor Sin) For(Tensor positions) =>
        (_cos.index_select(0, positions).unsqueeze(1), _sin.index_select(0, positions).unsqueeze(1));

    /// <summary>Rotates x [N, heads, headDim] by its tokens' positions.</summary>
    public Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        if (_layout == RopeLayout.Interleaved)
        {
            var pairs = x.view(x.shape[0], x.shape[1], _halfDim, 2);      // [N, h, Dh/2, 2]
            var even = pairs.select(-1, 0);
            var odd = pairs.select(-1, 1);
            var rotated = stack([even * cos - odd * sin, even * sin + odd * cos], -1); // [N, h, Dh/2, 2]
            return rotated.view(x.shape);
        }
        var first = x.narrow(-1, 0, _halfDim);
        var second = x.narrow(-1, _halfDim, _halfDim);
        return cat([first * cos - second * sin, second * cos + first * sin], -1); // [N, h, Dh]
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
