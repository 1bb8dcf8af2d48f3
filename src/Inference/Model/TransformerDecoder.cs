using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GqaService.Inference.Model;

/// <summary>
/// A Llama-family decoder (RMSNorm, RoPE, SwiGLU, grouped-query attention) over a flat batch of tokens from many
/// sequences. Stateless apart from its weights: K/V live in the <see cref="IKvStore"/> the caller passes in.
/// Owns the weights and RoPE tables. Call under inference mode on the engine thread.
/// </summary>
public sealed class TransformerDecoder : IDisposable
{
    private readonly ModelWeights _weights;
    private readonly RotaryEmbedding _rope;
    private readonly RmsNorm _norm;

    public TransformerDecoder(ModelWeights weights)
    {
        _weights = weights;
        _rope = new RotaryEmbedding(weights.Config);
        _norm = new RmsNorm(weights.Config.NormEps);
    }

    public ModelConfig Config => _weights.Config;

    public ModelWeights Weights => _weights;

    /// <summary>
    /// Runs one step, writing its K/V into <paramref name="kv"/>. Returns logits [R, vocab] for the input's logit rows
    /// (<see cref="ForwardBatch.LogitRows"/>), owned by the caller's dispose scope.
    /// </summary>
    public Tensor Forward(DecoderInput input, IKvStore kv)
    {
        var config = Config;
        var n = input.TokenCount;
        var writeSlots = input.WriteSlots;
        var angles = _rope.For(input.Positions);
        var plan = input.Plan;
        var x = _weights.TokenEmbedding.index_select(0, input.TokenIds); // [N, D]
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            // Per-layer scope: a layer's temporaries are freed before the next layer allocates its own.
            using var layerScope = NewDisposeScope();
            var w = _weights.Layers[layer];
            var qkv = F.linear(_norm.Apply(x, w.AttentionNorm), w.QkvProjection, w.QkvBias); // [N, (H+2Hkv)*Dh]
            // Q and K heads rotate together in one call: [N, H + Hkv, Dh].
            var rotated = _rope.Apply(qkv.narrow(1, 0, config.QueryWidth + config.KvWidth).view(n, config.NumHeads + config.NumKvHeads, config.HeadDim), angles);
            var q = rotated.narrow(1, 0, config.NumHeads);                  // [N, H, Dh]
            var k = rotated.narrow(1, config.NumHeads, config.NumKvHeads);  // [N, Hkv, Dh]
            var v = qkv.narrow(1, config.QueryWidth + config.KvWidth, config.KvWidth).view(n, config.NumKvHeads, config.HeadDim);
            var keys = kv.Keys(layer);
            var values = kv.Values(layer);
            // The store may hold a narrower dtype than the activations (KvLayout); to_type is a no-op when they agree.
            keys.index_copy_(0, writeSlots, k.to_type(keys.dtype));
            values.index_copy_(0, writeSlots, v.to_type(values.dtype));
            var attended = GroupedQueryAttention.Forward(q, keys, values, plan, config); // [N, H*Dh]
            x.addmm_(attended, w.OutputProjectionT);
            var gateUp = F.linear(_norm.Apply(x, w.FeedForwardNorm), w.GateUpProjection); // [N, 2F]
            var hidden = F.silu(gateUp.narrow(1, 0, config.HiddenDim)).mul_(gateUp.narrow(1, config.HiddenDim, config.HiddenDim));
            x.addmm_(hidden, w.DownProjectionT);
        }
        var rows = input.LogitRows is { } logitRows ? x.index_select(0, logitRows) : x; // [R, D]
        return F.linear(_norm.Apply(rows, _weights.FinalNorm), _weights.Classifier); // [R, V]
    }

    public void Dispose()
    {
        _norm.Dispose();
        _rope.Dispose();
        _weights.Dispose();
    }
}
