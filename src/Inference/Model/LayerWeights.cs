using GqaService.Inference.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// One decoder layer's parameters, in PyTorch <c>Linear</c> layout ([out, in]). Q, K and V are fused into one matrix
/// and the SwiGLU gate and up projections into another, so each needs one matmul per step.
/// A projection held as Q8_0 (<see cref="Q8_0Weight"/>) keeps its int8 quants in the projection property itself and its
/// float16 block scales in the matching <c>…Scales</c> property (null for a float projection).
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
    /// <summary>Q8_0 block scales [N, K/32] of the projection of the same name, or null when it is held in a float dtype.</summary>
    public Tensor? QkvScales { get; }
    public Tensor? OutputScales { get; }
    public Tensor? GateUpScales { get; }
    public Tensor? DownScales { get; }

    public Q8_0Weight? QkvQ8_0 => QkvScales is null ? null : new Q8_0Weight(QkvProjection, QkvScales);
    public Q8_0Weight? OutputQ8_0 => OutputScales is null ? null : new Q8_0Weight(OutputProjection, OutputScales);
    public Q8_0Weight? GateUpQ8_0 => GateUpScales is null ? null : new Q8_0Weight(GateUpProjection, GateUpScales);
    public Q8_0Weight? DownQ8_0 => DownScales is null ? null : new Q8_0Weight(DownProjection, DownScales);

    /// <summary>Whether any projection is held as Q8_0.</summary>
    public bool HasQ8_0 => QkvScales is not null || OutputScales is not null || GateUpScales is not null || DownScales is not null;

    /// <summary>Takes ownership of every tensor passed in. <paramref name="qkvBiases"/>: the q, k and v biases, or null.
    /// <paramref name="quantize"/>: a float32 projection of a layer whose rows are a multiple of 32 long is
    /// quantised to Q8_0 (<see cref="Precision.Q8_0Quantizer"/>) once fused; the others stay as they are.</summary>
    public LayerWeights(Tensor attentionNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor feedForwardNorm, Tensor gate, Tensor down, Tensor up,
        (Tensor Q, Tensor K, Tensor V)? qkvBiases = null, bool quantize = false)
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
            if (quantize)
            {
                (QkvProjection, QkvScales) = QuantizeOwned(QkvProjection);
                (OutputProjection, OutputScales) = QuantizeOwned(OutputProjection, wo);
                (GateUpProjection, GateUpScales) = QuantizeOwned(GateUpProjection);
                (DownProjection, DownScales) = QuantizeOwned(DownProjection, down);
            }
            // Every step streams these matrices whole (HugePages.MoveOnto says what huge pages buy).
            QkvProjection = HugePages.MoveOnto(QkvProjection);
            OutputProjection = HugePages.MoveOnto(OutputProjection);
            GateUpProjection = HugePages.MoveOnto(GateUpProjection);
            DownProjection = HugePages.MoveOnto(DownProjection);
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

    /// <summary>
    /// The Q8_0 form of a fused float32 projection, releasing the float tensor (unless it is <paramref name="passedIn"/>,
    /// which the constructor releases); a projection Q8_0 cannot hold comes back unchanged with no scales.
    /// </summary>
    private static (Tensor Projection, Tensor? Scales) QuantizeOwned(Tensor projection, Tensor? passedIn = null)
    {
        if (projection.dtype != ScalarType.Float32 || !Precision.Q8_0Quantizer.CanQuantize(projection.shape[1]))
        {
            return (projection, null);
        }
        var (quants, scales) = Precision.Q8_0Quantizer.Quantize(projection);
        if (!ReferenceEquals(projection, passedIn))
        {
            projection.Dispose();
        }
        return (quants.DetachFromDisposeScope(), scales.DetachFromDisposeScope());
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
        QkvScales?.Dispose();
        OutputScales?.Dispose();
        GateUpScales?.Dispose();
        DownScales?.Dispose();
    }
}
