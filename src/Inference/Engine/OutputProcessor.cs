using GqaService.Inference.Sampling;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>
/// The output side of a step. Before it: which rows sample, with which parameters and which uniform draw of each request's
/// own stream. After it: records in each block table what the step computed, then for every sampled token applies the stop
/// rules (EOS, stop ids, stop strings, max tokens, context), detokenises, streams it, and finishes requests that are done.
/// Scoring requests (<see cref="PromptScoring"/>) never sample: their scored rows are added up, and they finish once their
/// prompt is computed. Engine thread only.
/// </summary>
internal sealed class OutputProcessor(RequestRegistry requests, EngineMetrics metrics, TimeProvider time, IReadOnlySet<int> eosTokenIds, int maxContext)
{
    /// <summary>The rows that finish their pending tokens this step: only they sample (unfinished prefill chunks do not).</summary>
    public SamplingBatch PlanSampling(ScheduledBatch batch)
    {
        var sampling = new SamplingBatch();
        for (var row = 0; row < batch.Work.Count; row++)
        {
            var (sequence, count) = batch.Work[row];
            if (count == sequence.PendingCount && sequence.Request.Scoring is null)
            {
                var parameters = sequence.Request.Sampling;
                sampling.Add(row, parameters, parameters.IsGreedy ? 0 : requests.Of(sequence).Random.NextDouble());
            }
        }
        return sampling;
    }

    public void Process(ScheduledBatch batch, SamplingBatch sampling, StepOutput output)
    {
        foreach (var (sequence, count) in batch.Work)
        {
            var kv = sequence.Kv!;
            kv.Append(sequence.Tokens.Skip(kv.Length).Take(count).ToArray());
        }
        foreach (var scored in output.Scores)
        {
            var sequence = batch.Work[scored.WorkRow].Sequence;
            sequence.ScoredTokens += scored.Count;
            sequence.ScoredNegativeLogLikelihood += scored.NegativeLogLikelihood;
        }
        foreach (var (sequence, _) in batch.Work)
        {
            if (sequence.Request.Scoring is not null)
            {
                sequence.ScoredThrough = Math.Max(sequence.ScoredThrough, sequence.ComputedCount);
                if (sequence.PendingCount == 0)
                {
                    requests.Finish(requests.Of(sequence), FinishReason.Stop, "");
                }
            }
        }
        for (var i = 0; i < sampling.Count; i++)
        {
            OnToken(requests.Of(batch.Work[sampling.Rows[i]].Sequence), output.TokenIds[i]);
        }
    }

    private void OnToken(ActiveRequest request, int token)
    {
        var sequence = request.Sequence;
        var spec = sequence.Request;
        var now = time.GetUtcNow();
        if (sequence.FirstTokenAt is null)
        {
            sequence.FirstTokenAt = now;
            metrics.RecordFirstToken(now - sequence.SubmittedAt);
            metrics.RecordQueueTime((sequence.FirstScheduledAt ?? now) - sequence.SubmittedAt);
        }
        var isEos = !spec.IgnoreEos && eosTokenIds.Contains(token);
        if (isEos || spec.StopTokenIds.Contains(token))
        {
            requests.Finish(request, FinishReason.Stop, request.Text?.Flush() ?? "");
            return;
        }
        metrics.RecordToken(sequence.LastTokenAt is { } previous ? now - previous : null);
        sequence.LastTokenAt = now;
        sequence.AppendGenerated(token);
        var delta = request.Text?.Push(token) ?? new OutputDelta("", false);
        request.Events.TryWrite(new TokenGenerated(token, delta.Text));
        if (delta.StopSequenceHit)
        {
            requests.Finish(request, FinishReason.Stop, "");
        }
        else if (sequence.GeneratedCount >= spec.MaxTokens || sequence.Tokens.Count >= maxContext)
        {
            requests.Finish(request, FinishReason.Length, request.Text?.Flush() ?? "");
        }
    }
}
