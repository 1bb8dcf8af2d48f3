using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>Single-token sequences attended together: rows [B]; slots [B, Lmax] (padding repeats a valid slot); mask [B, 1, 1, Lmax] (true where attended), null when nothing is padded.</summary>
internal sealed record DecodeAttentionGroup(Tensor Rows, bool RowsAreWholeBatch, Tensor Slots, Tensor? Mask, int BatchSize, int MaxContext);
