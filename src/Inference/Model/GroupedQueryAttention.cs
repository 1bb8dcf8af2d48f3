using GqaService.Inference.Kernels;
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
    /// The tensors every layer shares this step (<see cref="AttentionStepTensors"/>), built before the layers so no layer
    /// repeats them; they belong to the caller's (step) scope. When <paramref name="kernels"/> can attend K/V of
    /// <paramref name="kvDtype"/>, the libtorch decode path's padded slot and mask tensors are not built: the native
    /// kernel reads the plan's slot arrays directly.
    /// </summary>
    public static AttentionStepTensors StepTensors(AttentionPlan plan, ModelConfig config, NativeKernels? kernels, ScalarType kvDtype)
    {
        var decodeByKernel = kernels is not null && kernels.SupportsDecodeAttention(kvDtype, config.NumHeads, config.NumKvHeads, config.HeadDim);
        return new(plan.Prefills.Select(p => p.Mask.repeat(config.GroupSize, 1)).ToArray(),
            plan.Decode is { } decode && !decodeByKernel ? DecodeAttentionTensors.From(decode, kvDtype, config) : null);
    }

    /// <summary>
    /// q [N, H, Dh] for the batch's new tokens; returns [N, H*Dh]. <paramref name="stepTensors"/> from
    /// <see cref="StepTensors"/>. With <paramref name="kernels"/>, the decode rows are attended by the native kernel
    /// straight from the pool (libtorch when it declines). Temporaries belong to the caller's scope.
    /// </summary>
    public static Tensor Forward(Tensor q, Tensor keys, Tensor values, AttentionPlan plan, AttentionStepTensors stepTensors, ModelConfig config,
        NativeKernels? kernels = null)
    {
        var n = q.shape[0];
        var output = q.new_empty(n, config.QueryWidth); // [N, H*Dh]
        if (plan.Decode is { } decode)
        {
            // The kernel writes each decode row of output in place; prefill rows are filled below.
            var byKernel = kernels is not null
                && kernels.TryDecodeAttention(q, keys, values, decode.Rows, decode.Slots, decode.SlotOffsets, decode.Lengths, output);
            if (!byKernel)
            {
                // Built once per step when the kernel was not expected to serve; if it declined anyway, this layer builds its own.
                var tensors = stepTensors.Decode ?? DecodeAttentionTensors.From(decode, keys.dtype, config);
                var attended = AttendDecode(q, keys, values, decode, tensors, config);
                if (decode.RowsAreWholeBatch)
                {
                    return attended;
                }
                output.index_copy_(0, tensors.Rows, attended);
            }
        }
        for (var i = 0; i < plan.Prefills.Count; i++)
        {
            var prefill = plan.Prefills[i];
            var attended = AttendPrefill(q.narrow(0, prefill.FirstToken, prefill.TokenCount), keys, values, prefill, stepTensors.PrefillMasks[i], config);
            output.narrow(0, prefill.FirstToken, prefill.TokenCount).copy_(attended);
        }
        return output;
    }

    private static Tensor AttendDecode(Tensor q, Tensor keys, Tensor values, DecodeAttentionGroup plan, DecodeAttentionTensors tensors, ModelConfig config)
    {
        long b = plan.BatchSize, l = plan.MaxContext, hkv = config.NumKvHeads, g = config.GroupSize, d = config.HeadDim;
        var query = (plan.RowsAreWholeBatch ? q : q.index_select(0, tensors.Rows)).view(b, hkv, g, d); // [B, Hkv, G, Dh]
        var flatSlots = tensors.Slots.view(-1);
        // The group's query heads attend to their shared K/V head like G query positions would: [B, Hkv, G, Dh] against
        // [B, Hkv, L, Dh], in one fused kernel, with nothing repeated.
        var k = GatherInto(tensors.WideKeys, keys, flatSlots, q.dtype).view(b, l, hkv, d).transpose(1, 2);    // [B, Hkv, L, Dh]
        var v = GatherInto(tensors.WideValues, values, flatSlots, q.dtype).view(b, l, hkv, d).transpose(1, 2);  // [B, Hkv, L, Dh]
        var attended = F.scaled_dot_product_attention(query, k, v, tensors.Mask);      // [B, Hkv, G, Dh]
        return attended.reshape(b, hkv * g * d);                                       // [B, H*Dh]
    }

    /// <summary>The pool rows at <paramref name="slots"/>, widened into <paramref name="wide"/> when the step gave a buffer.</summary>
    private static Tensor GatherInto(Tensor? wide, Tensor pool, Tensor slots, ScalarType dtype) =>
        wide is null || wide.dtype != dtype ? Gather(pool, slots, dtype) : wide.copy_(pool.index_select(0, slots));

    /// <summary>The pool rows at <paramref name="slots"/>, widened to <paramref name="dtype"/>.</summary>
    private static Tensor Gather(Tensor pool, Tensor slots, ScalarType dtype) => pool.index_select(0, slots).to_type(dtype);

    private static Tensor AttendPrefill(Tensor q, Tensor keys, Tensor values, PrefillAttention plan, Tensor groupedMask, ModelConfig config)
    {
        long t = plan.TokenCount, l = plan.ContextLength, hkv = config.NumKvHeads, g = config.GroupSize, d = config.HeadDim;
        var query = q.view(t, hkv, g, d).permute(1, 2, 0, 3).reshape(hkv, g * t, d);  // [Hkv, G*T, Dh]
        var k = Gather(keys, plan.Slots, q.dtype).transpose(0, 1);        // [Hkv, L, Dh]
        var v = Gather(values, plan.Slots, q.dtype).transpose(0, 1);    // [Hkv, L, Dh]
        var attended = F.scaled_dot_product_attention(query, k, v, groupedMask);          // [Hkv, G*T, Dh], mask [G*T, L]
        return attended.view(hkv, g, t, d).permute(2, 0, 1, 3).reshape(t, hkv * g * d);  // [T, H*Dh]
    }
}
