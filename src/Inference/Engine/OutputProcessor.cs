using GqaService.Inference.Sampling;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>
/// The output side of a step. Before it: which rows sample, with which parameters and which uniform draw of each request's
/// own stream. After it: records in each block table what the step computed, then for every sampled token applies the stop
/// rules (EOS, stop ids, stop strings, max tokens, context), detokenises, streams it, and finishes requests that are done.
/// A request with n choices samples all of them from the step that completes its prompt (one row each, on the prompt's
/// logits) and forks its KV for the parked choices before any token is delivered. Scoring requests
/// (<see cref="PromptScoring"/>) never sample: their scored rows are added up, and they finish once their prompt is
/// computed. Engine thread only.
/// </summary>
internal sealed class OutputProcessor(RequestRegistry requests, EngineMetrics metrics, TimeProvider time, IReadOnlySet<int> eosTokenIds, int maxContext)
{
    // Who each row of the planned sampling batch samples for (a parked choice reads its leader's row). Set by PlanSampling,
    // read by the Process of the same step.
    private readonly List<ActiveRequest> _planned = [];

    /// <summary>The rows that finish their pending tokens this step: only they sample (unfinished prefill chunks do not).</summary>
    public SamplingBatch PlanSampling(ScheduledBatch batch)
    {
        var sampling = new SamplingBatch();
        _planned.Clear();
        for (var row = 0; row < batch.Work.Count; row++)
        {
            var (sequence, count) = batch.Work[row];
            if (count == sequence.PendingCount && sequence.Request.Scoring is null)
            {
                var request = requests.Of(sequence);
                AddRow(sampling, row, request);
                if (sequence.GeneratedCount == 0)
                {
                    foreach (var choice in request.ParkedChoices.Where(requests.IsActive))
                    {
                        AddRow(sampling, row, choice);
                    }
                }
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
        // Every parked choice forks before any token is delivered: a leader whose first token ends it releases its blocks.
        for (var i = 0; i < sampling.Count; i++)
        {
            var leader = requests.Of(batch.Work[sampling.Rows[i]].Sequence);
            if (!ReferenceEquals(_planned[i], leader))
            {
                requests.Fork(leader, _planned[i]);
            }
        }
        foreach (var row in sampling.Rows.Distinct())
        {
            requests.Of(batch.Work[row].Sequence).ClearParkedChoices();
        }
        for (var i = 0; i < sampling.Count; i++)
        {
            OnToken(_planned[i], output.TokenIds[i], output.Logprobs?[i]);
        }
    }

    private void AddRow(SamplingBatch sampling, int row, ActiveRequest request)
    {
        var sequence = request.Sequence;
        var parameters = sequence.Request.Sampling;
        var uniform = parameters.IsGreedy ? 0 : request.Random.NextDouble();
        var history = parameters.AdjustsLogits ? new SamplingHistory(sequence.Tokens, sequence.PromptLength) : SamplingHistory.None;
        sampling.Add(row, parameters, uniform, history, sequence.Request.TopLogprobs);
        _planned.Add(request);
    }

    private void OnToken(ActiveRequest request, int token, TokenLogprobs? logprobs)
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
        request.Events.TryWrite(new TokenGenerated(token, delta.Text, logprobs));
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
