using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GqaService.Inference.Model;

/// <summary>
/// Scaled dot-product attention (scale 1/sqrt(head_dim)) where each K/V head serves <c>group</c> query heads. Queries are viewed as
/// [.., n_kv_heads, group, ..] and multiplied against the shared K/V heads directly: the repeated K/V heads of MHA are
/// never materialised, which is the point of GQA (K/V memory and bandwidth are n_kv_heads / n_heads of MHA).
/// K/V stored in a 16-bit dtype are widened to the queries' dtype as they are gathered, so softmax runs in float32.
/// </summary>
internal static class GroupedQueryAttention
{
    /// <summary>
    /// Each prefill's causal mask repeated for the group's query heads ([G*T, L]), in the plan's order. Built once per step,
    /// before the layers, so no layer repeats it; the tensors belong to the caller's (step) scope.
    /// </summary>
    public static Tensor[] GroupedPrefillMasks(AttentionPlan plan, ModelConfig config) =>
        plan.Prefills.Select(p => p.Mask.repeat(config.GroupSize, 1)).ToArray();

    /// <summary>
    /// q [N, H, Dh] for the batch's new tokens; returns [N, H*Dh]. <paramref name="prefillMasks"/> from
    /// <see cref="GroupedPrefillMasks"/>. Temporaries belong to the caller's scope.
    /// </summary>
    public static Tensor Forward(Tensor q, Tensor keys, Tensor values, AttentionPlan plan, Tensor[] prefillMasks, ModelConfig config)
    {
        var n = q.shape[0];
        var output = q.new_empty(n, config.QueryWidth); // [N, H*Dh]
        if (plan.Decode is { } decode)
        {
            var attended = AttendDecode(q, keys, values, decode, config);
            if (decode.RowsAreWholeBatch)
            {
                return attended;
            }
            output.index_copy_(0, decode.Rows, attended);
        }
        for (var i = 0; i < plan.Prefills.Count; i++)
        {
            var prefill = plan.Prefills[i];
            var attended = AttendPrefill(q.narrow(0, prefill.FirstToken, prefill.TokenCount), keys, values, prefill, prefillMasks[i], config);
            output.narrow(0, prefill.FirstToken, prefill.TokenCount).copy_(attended);
        }
        return output;
    }

    private static Tensor AttendDecode(Tensor q, Tensor keys, Tensor values, DecodeAttentionGroup plan, ModelConfig config)
    {
        long b = plan.BatchSize, l = plan.MaxContext, hkv = config.NumKvHeads, g = config.GroupSize, d = config.HeadDim;
        var query = (plan.RowsAreWholeBatch ? q : q.index_select(0, plan.Rows)).view(b, hkv, g, d); // [B, Hkv, G, Dh]
        var flatSlots = plan.Slots.view(-1);
        // The group's query heads attend to their shared K/V head like G query positions would: [B, Hkv, G, Dh] against
        // [B, Hkv, L, Dh], in one fused kernel, with nothing repeated.
        var k = keys.index_select(0, flatSlots).to_type(q.dtype).view(b, l, hkv, d).transpose(1, 2);    // [B, Hkv, L, Dh]
        var v = values.index_select(0, flatSlots).to_type(q.dtype).view(b, l, hkv, d).transpose(1, 2);  // [B, Hkv, L, Dh]
        var attended = F.scaled_dot_product_attention(query, k, v, plan.Mask);          // [B, Hkv, G, Dh]
        return attended.reshape(b, hkv * g * d);                                        // [B, H*Dh]
    }

    private static Tensor AttendPrefill(Tensor q, Tensor keys, Tensor values, PrefillAttention plan, Tensor groupedMask, ModelConfig config)
    {
        long t = plan.TokenCount, l = plan.ContextLength, hkv = config.NumKvHeads, g = config.GroupSize, d = config.HeadDim;
        var query = q.view(t, hkv, g, d).permute(1, 2, 0, 3).reshape(hkv, g * t, d);  // [Hkv, G*T, Dh]
        var k = keys.index_select(0, plan.Slots).to_type(q.dtype).transpose(0, 1);      // [Hkv, L, Dh]
        var v = values.index_select(0, plan.Slots).to_type(q.dtype).transpose(0, 1);    // [Hkv, L, Dh]
        var attended = F.scaled_dot_product_attention(query, k, v, groupedMask);          // [Hkv, G*T, Dh], mask [G*T, L]
        return attended.view(hkv, g, t, d).permute(2, 0, 1, 3).reshape(t, hkv * g * d);  // [T, H*Dh]
    }
}
