using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// What one step's attention needs, built once per step and shared by every layer. Single-token (decode) sequences are
/// attended together (their slot lists as integers: see <see cref="DecodeAttentionGroup"/>); multi-token (prefill)
/// sequences one at a time with a causal mask, so a long prompt never pads the decode batch.
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
        var rows = new int[b];
        var offsets = new int[b];
        var lengths = new int[b];
        var slots = new int[spans.Sum(s => s.ContextLength)];
        var next = 0;
        for (var i = 0; i < b; i++)
        {
            var span = spans[i];
            rows[i] = span.FirstToken;
            offsets[i] = next;
            lengths[i] = span.ContextLength;
            span.ContextSlots.CopyTo(slots, next);
            next += span.ContextLength;
        }
        return new DecodeAttentionGroup(rows, b == batchTokens, slots, offsets, lengths, spans.Max(s => s.ContextLength));
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
