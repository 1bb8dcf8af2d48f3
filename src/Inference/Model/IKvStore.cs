using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// Where the decoder keeps K and V: per layer, a flat array of token slots, each <c>[n_kv_heads, head_dim]</c> wide.
/// Which slots a sequence owns is decided by its owner (a contiguous range, or a paged block table) and arrives in
/// <see cref="ForwardBatch"/> as slot indices, so the decoder is the same over any layout.
/// </summary>
public interface IKvStore
{
    /// <summary>[slots, n_kv_heads, head_dim]; written in place, never resized.</summary>
    Tensor Keys(int layer);

    /// <summary>[slots, n_kv_heads, head_dim].</summary>
    Tensor Values(int layer);
}
