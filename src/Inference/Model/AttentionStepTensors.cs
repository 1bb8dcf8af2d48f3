using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// The tensors every layer's attention shares in one step, built once before the layers (in the step's scope): each
/// prefill's causal mask repeated for the group's query heads ([G*T, L], in the plan's order), and the libtorch decode
/// path's padded slots and mask, null when the native kernel attends the decode rows.
/// </summary>
internal sealed record AttentionStepTensors(Tensor[] PrefillMasks, DecodeAttentionTensors? Decode);
