using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// One decoder layer's parameters, in PyTorch <c>Linear</c> layout ([out, in]). Q, K and V are fused into one matrix
/// and the SwiGLU gate and up projections into another, so each needs one matmul per step.
/// </summary>
public sealed class LayerWeights : IDisposable
{
    public Tensor AttentionNorm { get; }   // [D]
    public Tensor QkvProjection { get; }   // [H*Dh + 2*Hkv*Dh, D]
    /// <summary>Null unless the family has q/k/v biases (Qwen2).</summary>
    public Tensor? QkvBias { get; }        // [H*Dh + 2*Hkv*Dh]
    public Tensor OutputProjection { get; } // [D, H*Dh]
    public Tensor FeedForwardNorm { get; } // [D]
    public Tensor GateUpProjection { get; } // [2*F, D]
    public Tensor DownProjection { get; }  // [D, F]
    /// <summary>Transposed views for <c>addmm_</c>, which adds a layer's output into the residual stream without a temporary.</summary>
    public Tensor OutputProjectionT { get; } // [H*Dh, D]
    public Tensor DownProjectionT { get; }   // [F, D]

    /// <summary>Takes ownership of every tensor passed in. <paramref name="qkvBiases"/>: the q, k and v biases, or null.</summary>
    public LayerWeights(Tensor attentionNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor feedForwardNorm, Tensor gate, Tensor down, Tensor up,
        (Tensor Q, Tensor K, Tensor V)? qkvBiases = null)
    {
        using (no_grad())
        {
            if (qkvBiases is var (bq, bk, bv))
            {
                QkvBias = cat([bq, bk, bv], 0).contiguous().DetachFromDisposeScope();
                bq.Dispose();
                bk.Dispose();
                bv.Dispose();
            }
            AttentionNorm = attentionNorm.contiguous().DetachFromDisposeScope();
            QkvProjection = cat([wq, wk, wv], 0).contiguous().DetachFromDisposeScope();
            OutputProjection = wo.contiguous().DetachFromDisposeScope();
            FeedForwardNorm = feedForwardNorm.contiguous().DetachFromDisposeScope();
            GateUpProjection = cat([gate, up], 0).contiguous().DetachFromDisposeScope();
            DownProjection = down.contiguous().DetachFromDisposeScope();
            OutputProjectionT = OutputProjection.t().DetachFromDisposeScope();
            DownProjectionT = DownProjection.t().DetachFromDisposeScope();
        }
        wq.Dispose();
        wk.Dispose();
        wv.Dispose();
        gate.Dispose();
        up.Dispose();
        if (!ReferenceEquals(AttentionNorm, attentionNorm)) attentionNorm.Dispose();
        if (!ReferenceEquals(OutputProjection, wo)) wo.Dispose();
        if (!ReferenceEquals(FeedForwardNorm, feedForwardNorm)) feedForwardNorm.Dispose();
        if (!ReferenceEquals(DownProjection, down)) down.Dispose();
    }

    public void Dispose()
    {
        OutputProjectionT.Dispose();
        DownProjectionT.Dispose();
        AttentionNorm.Dispose();
        QkvProjection.Dispose();
        QkvBias?.Dispose();
        OutputProjection.Dispose();
        FeedForwardNorm.Dispose();
        GateUpProjection.Dispose();
        DownProjection.Dispose();
    }
}
