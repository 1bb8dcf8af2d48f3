namespace GqaService.Inference.Model;

/// <summary>
/// Single-token sequences attended together, described by integers only: sequence i is batch row <see cref="Rows"/>[i]
/// and attends to <see cref="Slots"/>[<see cref="SlotOffsets"/>[i] .. + <see cref="Lengths"/>[i]) (its whole context, in
/// position order, unpadded). The native kernel reads these arrays as they are; the libtorch path turns them into padded
/// tensors (<see cref="DecodeAttentionTensors"/>) once per step, only when it runs.
/// </summary>
internal sealed record DecodeAttentionGroup(int[] Rows, bool RowsAreWholeBatch, int[] Slots, int[] SlotOffsets, int[] Lengths, int MaxContext)
{
    public int BatchSize => Rows.Length;
}
