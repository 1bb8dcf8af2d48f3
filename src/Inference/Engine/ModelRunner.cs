using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using GqaService.Inference.Scheduling;
using static TorchSharp.torch;

namespace GqaService.Inference.Engine;

/// <summary>
/// The seam between integers and tensors: turns a <see cref="ScheduledBatch"/> into one decoder forward over the paged
/// KV pool and hands back plain float logits. One dispose scope per step releases every temporary. Engine thread only.
/// </summary>
public sealed class ModelRunner(TransformerDecoder decoder, KvPool pool)
{
    public StepLogits Run(ScheduledBatch batch)
    {
        using var scope = NewDisposeScope();
        foreach (var copy in batch.Copies)
        {
            pool.CopyBlock(copy.SourceBlock, copy.DestinationBlock, copy.Slots);
        }
        var inputs = new List<(IReadOnlyList<int> NewTokens, int[] ContextSlots)>(batch.Work.Count);
        foreach (var (sequence, count) in batch.Work)
        {
            var kv = sequence.Kv!;
            var start = kv.Length;
            inputs.Add((sequence.Tokens.Skip(start).Take(count).ToArray(), kv.SlotsUpTo(start + count)));
        }
        var logits = decoder.Forward(DecoderInput.From(ForwardBatch.Create(inputs)), pool);
        var values = logits.data<float>().ToArray();
        for (var i = 0; i < batch.Work.Count; i++)
        {
            batch.Work[i].Sequence.Kv!.Append(inputs[i].NewTokens);
        }
        return new StepLogits(values, decoder.Config.VocabSize);
    }
}
