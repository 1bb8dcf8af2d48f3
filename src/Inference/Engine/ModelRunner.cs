using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using GqaService.Inference.Sampling;
using GqaService.Inference.Scheduling;
using static TorchSharp.torch;

namespace GqaService.Inference.Engine;

/// <summary>
/// The seam between integers and tensors: turns a <see cref="ScheduledBatch"/> into one decoder forward over the paged
/// KV pool, with logits (final norm and classifier) only for the rows that sample, samples them in libtorch and copies out
/// only their token ids. Rows that scoring requests score (<see cref="ScoringRows"/>) get logits too; their float64 negative
/// log-likelihoods are copied out instead. One dispose scope per step releases every temporary. Owns the sampler. Engine thread only.
/// </summary>
internal sealed class ModelRunner(TransformerDecoder decoder, KvPool pool) : IStepRunner, IDisposable
{
    private readonly TensorSampler _sampler = new(decoder.Config.VocabSize);

    public StepOutput Execute(ScheduledBatch batch, SamplingBatch sampling)
    {
        using var scope = NewDisposeScope();
        foreach (var copy in batch.Copies)
        {
            pool.CopyBlock(copy.SourceBlock, copy.DestinationBlock, copy.Slots);
        }
        var inputs = new List<(IReadOnlyList<int> NewTokens, int[] ContextSlots)>(batch.Work.Count);
        foreach (var (sequence, count) in batch.Work)
        {
            var start = sequence.Kv!.Length;
            inputs.Add((sequence.Tokens.Skip(start).Take(count).ToArray(), sequence.Kv.SlotsUpTo(start + count)));
        }
        var needsLogits = new bool[batch.Work.Count];
        foreach (var row in sampling.Rows)
        {
            needsLogits[row] = true;
        }
        var forward = ForwardBatch.Create(inputs, needsLogits: needsLogits);
        var scoring = ScoringRows.Plan(batch, forward);
        IReadOnlyList<ScoredRows> scores = [];
        Tensor logits; // [distinct sampling rows, vocab]
        if (scoring.IsEmpty)
        {
            logits = decoder.Forward(DecoderInput.From(forward), pool);
        }
        else
        {
            var all = decoder.Forward(DecoderInput.From(forward with { LogitRows = scoring.LogitRows }), pool); // [sampling + scored rows, vocab]
            scores = scoring.Sum(NegativeLogLikelihoods(all, scoring));
            if (sampling.Count == 0)
            {
                return new StepOutput([]) { Scores = scores };
            }
            logits = all.index_select(0, tensor(scoring.SamplingPositions));
        }
        if (sampling.SharesLogits)
        {
            // The n choices of a request draw their first token from its one prefill: its logits row, repeated.
            logits = logits.index_select(0, tensor(sampling.LogitsRows));
        }
        var sampled = _sampler.Sample(logits, sampling);
        return new StepOutput(sampled.TokenIds, sampling.WantsLogprobs ? sampled.Logprobs : null) { Scores = scores };
    }

    /// <summary>-log softmax(logits)[target] of every scored row, in float64 from the float32 logits.</summary>
    private static double[] NegativeLogLikelihoods(Tensor logits, ScoringRows scoring)
    {
        var rows = logits.index_select(0, tensor(scoring.ScoredPositions)).to_type(ScalarType.Float64); // [scored, vocab]
        var picked = rows.log_softmax(1).gather(1, tensor(scoring.Targets).unsqueeze(1)).neg(); // [scored, 1]
        return picked.data<double>().ToArray();
    }

    public void Dispose() => _sampler.Dispose();
}
