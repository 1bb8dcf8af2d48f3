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

    public TransformerDecoder(ModelWeights weights)
    {
        _weights = weights;
        _rope = new RotaryEmbedding(weights.Config);
    }

    public ModelConfig Config => _weights.Config;

    public ModelWeights Weights => _weights;

    /// <summary>
    /// Runs the batch, writing its K/V into <paramref name="kv"/>. Returns logits [sequences, vocab] for each sequence's last
    /// token (or [tokens, vocab] with <see cref="ForwardBatch.LogitsForAllTokens"/>), owned by the caller's dispose scope.
    /// </summary>
    public Tensor Forward(ForwardBatch batch, IKvStore kv)
    {
        var config = Config;
        var n = batch.TokenIds.Length;
        var tokens = tensor(Array.ConvertAll(batch.TokenIds, t => (long)t));
        var positions = tensor(Array.ConvertAll(batch.Positions, p => (long)p));
        var writeSlots = tensor(Array.ConvertAll(batch.WriteSlots, s => (long)s));
        var angles = _rope.For(positions);
        var plan = AttentionPlan.Build(batch);
        var x = _weights.TokenEmbedding.index_select(0, tokens); // [N, D]
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            // Per-layer scope: a layer's temporaries are freed before the next layer allocates its own.
            using var layerScope = NewDisposeScope();
            var w = _weights.Layers[layer];
            var qkv = F.linear(RmsNorm.Apply(x, w.AttentionNorm, config.NormEps), w.QkvProjection); // [N, (H+2Hkv)*Dh]
            // Q and K heads rotate together in one call: [N, H + Hkv, Dh].
            var rotated = _rope.Apply(qkv.narrow(1, 0, config.QueryWidth + config.KvWidth).view(n, config.NumHeads + config.NumKvHeads, config.HeadDim), angles);
            var q = rotated.narrow(1, 0, config.NumHeads);                  // [N, H, Dh]
            var k = rotated.narrow(1, config.NumHeads, config.NumKvHeads);  // [N, Hkv, Dh]
            var v = qkv.narrow(1, config.QueryWidth + config.KvWidth, config.KvWidth).view(n, config.NumKvHeads, config.HeadDim);
            var keys = kv.Keys(layer);
            var values = kv.Values(layer);
            keys.index_copy_(0, writeSlots, k);
            values.index_copy_(0, writeSlots, v);
            var attended = GroupedQueryAttention.Forward(q, keys, values, plan, config); // [N, H*Dh]
            x.addmm_(attended, w.OutputProjectionT);
            var gateUp = F.linear(RmsNorm.Apply(x, w.FeedForwardNorm, config.NormEps), w.GateUpProjection); // [N, 2F]
            var hidden = F.silu(gateUp.narrow(1, 0, config.HiddenDim)).mul_(gateUp.narrow(1, config.HiddenDim, config.HiddenDim));
            x.addmm_(hidden, w.DownProjectionT);
        }
        var last = batch.LogitsForAllTokens ? x : x.index_select(0, tensor(batch.Sequences.Select(s => (long)(s.FirstToken + s.TokenCount - 1)).ToArray()));
        return F.linear(RmsNorm.Apply(last, _weights.FinalNorm, config.NormEps), _weights.Classifier); // [R, V]
    }

    public void Dispose()
    {
        _rope.Dispose();
        _weights.Dispose();
    }
}
