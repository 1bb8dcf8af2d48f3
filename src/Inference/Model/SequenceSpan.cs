namespace GqaService.Inference.Model;

/// <summary>
/// One sequence's part of a <see cref="ForwardBatch"/>: its new tokens are rows <c>[FirstToken, FirstToken + TokenCount)</c>
/// of the batch, and <see cref="ContextSlots"/> lists the KV slot of every position 0..n-1 it attends to, new ones included
/// (so the new tokens sit at positions <c>ContextSlots.Length - TokenCount</c> onwards).
/// </summary>
public sealed record SequenceSpan(int FirstToken, int TokenCount, int[] ContextSlots)
{
    public int ContextLength => ContextSlots.Length;
}
