using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>One prefill chunk: batch rows [FirstToken, FirstToken+TokenCount); slots [L]; causal mask [T, L], true where attended.</summary>
internal sealed record PrefillAttention(int FirstToken, int TokenCount, Tensor Slots, Tensor Mask, int ContextLength);
