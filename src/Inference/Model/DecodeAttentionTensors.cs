using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// The libtorch decode path's view of a <see cref="DecodeAttentionGroup"/>: rows [B]; slots [B, Lmax] (padding repeats a
/// valid slot, so nothing unwritten is read); mask [B, 1, 1, Lmax] (true where attended), null when nothing is padded.
/// </summary>
internal sealed record DecodeAttentionTensors(Tensor Rows, Tensor Slots, Tensor? Mask)
{
    /// <summary>Builds the tensors in the current dispose scope.</summary>
    public static DecodeAttentionTensors From(DecodeAttentionGroup group)
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
            padded ? tensor(mask, [b, 1, 1, maxContext]) : null);
    }
}
