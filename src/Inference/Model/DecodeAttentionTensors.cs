using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// The libtorch decode path's view of a <see cref="DecodeAttentionGroup"/>: rows [B]; slots [B, Lmax] (padding repeats a
/// valid slot, so nothing unwritten is read); mask [B, 1, 1, Lmax] (true where attended), null when nothing is padded.
/// With a 16-bit pool, <see cref="WideKeys"/> and <see cref="WideValues"/> ([B*Lmax, Hkv, Dh] float32) receive every
/// layer's gathered K/V: widening by copy_ into buffers allocated once per step costs a fraction of a fresh to_type per
/// layer, which measured 4-8x slower (its new 16 MB tensor per call is the difference) and made bf16 KV the slow dtype.
/// </summary>
internal sealed record DecodeAttentionTensors(Tensor Rows, Tensor Slots, Tensor? Mask, Tensor? WideKeys, Tensor? WideValues)
{
    /// <summary>Builds the tensors in the current dispose scope, for a pool of <paramref name="kvDtype"/>.</summary>
    public static DecodeAttentionTensors From(DecodeAttentionGroup group, ScalarType kvDtype, ModelConfig config)
    {
        var b = group.BatchSize;
        var maxContext = group.MaxContext;
        var slots = new long[b * maxContext];
        var mask = new bool[b * maxContext];
        var padded = false;
        for (var i = 0; i < b; i++)
        {
            var offset = group.SlotOffsets[i];
            var length = group.Lengths[i];
            padded |= length < maxContext;
            for (var j = 0; j < maxContext; j++)
            {
                var inside = j < length;
                slots[i * maxContext + j] = group.Slots[offset + (inside ? j : 0)];
                mask[i * maxContext + j] = inside;
            }
        }
        return new DecodeAttentionTensors(
            tensor(Array.ConvertAll(group.Rows, r => (long)r)),
            tensor(slots, [b, maxContext]),
            padded ? tensor(mask, [b, 1, 1, maxContext]) : null,
            kvDtype == ScalarType.Float32 ? null : empty(b * maxContext, config.NumKvHeads, config.HeadDim),
            kvDtype == ScalarType.Float32 ? null : empty(b * maxContext, config.NumKvHeads, config.HeadDim));
    }
}
