using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// The index and mask tensors one step's attention needs, built once per step and shared by every layer.
/// Single-token (decode) sequences are attended together, padded to the longest context; multi-token (prefill) sequences
/// one at a time with a causal mask, so a long prompt never pads the decode batch.
/// </summary>
internal sealed class AttentionPlan
{
    public DecodeAttentionGroup? Decode { get; private init; }
    public IReadOnlyList<PrefillAttention> Prefills { get; private init; } = [];

    internal static AttentionPlan Build(ForwardBatch batch)
    {
        var decodeSpans = batch.Sequences.Where(s => s.TokenCount == 1).ToList();
        var prefills = batch.Sequences.Where(s => s.TokenCount > 1)
            .Select(s => new PrefillAttention(s.FirstToken, s.TokenCount, LongTensor(s.ContextSlots), CausalMask(s.TokenCount, s.ContextLength), s.ContextLength))
            .ToList();
        return new AttentionPlan { Decode = decodeSpans.Count == 0 ? null : BuildDecode(decodeSpans, batch.TokenIds.Length), Prefills = prefills };
    }

    private static DecodeAttentionGroup BuildDecode(List<SequenceSpan> spans, int batchTokens)
    {
        var b = spans.Count;
        var maxContext = spans.Max(s => s.ContextLength);
        var slots = new long[b * maxContext];
        var mask = new bool[b * maxContext];
        var rows = new long[b];
        for (var i = 0; i < b; i++)
        {
            var span = spans[i];
            rows[i] = span.FirstToken;
            for (var j = 0; j < maxContext; j++)
            {
                var inside = j < span.ContextLength;
                slots[i * maxContext + j] = span.ContextSlots[inside ? j : 0];
                mask[i * maxContext + j] = inside;
            }
        }
        var wholeBatch = b == batchTokens;
        var padded = spans.Any(s => s.ContextLength < maxContext);
        return new DecodeAttentionGroup(tensor(rows), wholeBatch, tensor(slots, [b, maxContext]), padded ? tensor(mask, [b, 1, 1, maxContext]) : null, b, maxContext);
    }

    private static Tensor LongTensor(int[] values) => tensor(Array.ConvertAll(values, v => (long)v));

    /// <summary>
    /// True where a query may attend. Boolean masks mean the same to scaled_dot_product_attention as additive 0/-inf
    /// masks (it converts them), and they need no -inf Scalar per step.
    /// </summary>
    private static Tensor CausalMask(int newTokens, int contextLength)
    {
        // New token i sits at position contextLength - newTokens + i and may see keys up to and including it.
        return ones(newTokens, contextLength, ScalarType.Bool).tril_(contextLength - newTokens);
    }
}
