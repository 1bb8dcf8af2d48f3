using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>Single-token sequences attended together: rows [B]; slots [B, Lmax] (padding repeats a valid slot); additive mask [B, 1, 1, Lmax], null when nothing is padded.</summary>
internal sealed record DecodeAttentionGroup(Tensor Rows, bool RowsAreWholeBatch, Tensor Slots, Tensor? Mask, int BatchSize, int MaxContext);
