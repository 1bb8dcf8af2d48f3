using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// Scaled dot-product attention where each K/V head serves <c>group</c> query heads. Queries are viewed as
/// [.., n_kv_heads, group, ..] and multiplied against the shared K/V heads directly: the repeated K/V heads of MHA are
/// never materialised, which is the point of GQA (K/V memory and bandwidth are n_kv_heads / n_heads of MHA).
/// </summary>
internal static class GroupedQueryAttention
{
    /// <summary>q [N, H, Dh] for the batch's new tokens; returns [N, H*Dh]. Temporaries belong to the caller's scope.</summary>
    public static Tensor Forward(Tensor q, Tensor keys, Tensor values, AttentionPlan plan, ModelConfig config)
    {
        var n = q.shape[0];
        var scale = 1.0 / Math.Sqrt(config.HeadDim);
        var output = q.new_empty(n, config.QueryWidth); // [N, H*Dh]
        if (plan.Decode is { } decode)
        {
            var attended = AttendDecode(q, keys, values, decode, config, scale);
            if (decode.RowsAreWholeBatch)
            {
                return attended;
            }
            output.index_copy_(0, decode.Rows, attended);
        }
        foreach (var prefill in plan.Prefills)
        {
            var attended = AttendPrefill(q.narrow(0, prefill.FirstToken, prefill.TokenCount), keys, values, prefill, config, scale);
            output.narrow(0, prefill.FirstToken, prefill.TokenCount).copy_(attended);
        }
        return output;
    }

    private static Tensor AttendDecode(Tensor q, Tensor keys, Tensor values, AttentionPlan.DecodeGroup plan, ModelConfig config, double scale)
    {
        long b = plan.BatchSize, l = plan.MaxContext, hkv = config.NumKvHeads, g = config.GroupSize, d = config.HeadDim;
        var query = (plan.RowsAreWholeBatch ? q : q.index_select(0, plan.Rows)).view(b, hkv, g, d); // [B, Hkv, G, Dh]
        var flatSlots = plan.Slots.view(-1);
        var k = keys.index_select(0, flatSlots).view(b, l, hkv, d).permute(0, 2, 3, 1);  // [B, Hkv, Dh, L]
        var v = values.index_select(0, flatSlots).view(b, l, hkv, d).transpose(1, 2);    // [B, Hkv, L, Dh]
        var scores = query.matmul(k).mul_(scale);                                          // [B, Hkv, G, L]
        if (plan.Mask is { } mask)
        {
            scores.add_(mask);
        }
        var probabilities = scores.softmax(-1);
        return probabilities.matmul(v).reshape(b, hkv * g * d);                             // [B, H*Dh]
    }

    private static Tensor AttendPrefill(Tensor q, Tensor keys, Tensor values, AttentionPlan.PrefillSequence plan, ModelConfig config, double scale)
    {
        long t = plan.TokenCount, l = plan.ContextLength, hkv = config.NumKvHeads, g = config.GroupSize, d = config.HeadDim;
        var query = q.view(t, hkv, g, d).permute(1, 2, 0, 3);                          // [Hkv, G, T, Dh]
        var k = keys.index_select(0, plan.Slots).permute(1, 2, 0).unsqueeze(1);        // [Hkv, 1, Dh, L]
        var v = values.index_select(0, plan.Slots).transpose(0, 1).unsqueeze(1);       // [Hkv, 1, L, Dh]
        var scores = query.matmul(k).mul_(scale).add_(plan.Mask);                      // [Hkv, G, T, L]
        var probabilities = scores.softmax(-1);
        return probabilities.matmul(v).permute(2, 0, 1, 3).reshape(t, hkv * g * d);   // [T, H*Dh]
    }
}
