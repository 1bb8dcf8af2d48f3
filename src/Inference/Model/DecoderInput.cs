using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// The tensors one decoder step reads, made from a <see cref="ForwardBatch"/> of integers by the caller (the engine's
/// runner): token ids, positions, K/V write slots, the attention plan and the rows that need logits. The tensors belong
/// to the dispose scope that is current when <see cref="From"/> runs (the attention plan's, when it is first read).
/// </summary>
public sealed class DecoderInput
{
    private AttentionPlan? _plan;

    private DecoderInput(ForwardBatch batch)
    {
        Batch = batch;
        TokenCount = batch.TokenIds.Length;
        TokenIds = LongTensor(batch.TokenIds);
        Positions = LongTensor(batch.Positions);
        WriteSlots = LongTensor(batch.WriteSlots);
        LogitRows = batch.LogitRows.Length == TokenCount ? null : LongTensor(batch.LogitRows);
    }

    public int TokenCount { get; }

    /// <summary>[N] token ids.</summary>
    public Tensor TokenIds { get; }

    /// <summary>[N] each token's position in its sequence.</summary>
    public Tensor Positions { get; }

    /// <summary>[N] the KV slot each token's K and V are written to.</summary>
    public Tensor WriteSlots { get; }

    /// <summary>The integers the tensors were made from (the fused layer kernel reads them directly).</summary>
    internal ForwardBatch Batch { get; }

    /// <summary>Built on first use, into the dispose scope current then: the fused layer kernel never needs it.</summary>
    internal AttentionPlan Plan => _plan ??= AttentionPlan.Build(Batch);

    /// <summary>[R] rows that get logits; null when every row does.</summary>
    public Tensor? LogitRows { get; }

    public static DecoderInput From(ForwardBatch batch) => new(batch);

    private static Tensor LongTensor(int[] values) => tensor(Array.ConvertAll(values, v => (long)v));
}
