using GqaService.Inference.Model;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>
/// Which logits a step with scoring sequences computes, in integers: every batch row of the generating sequences that
/// sample (their last token) plus, for each scoring sequence (<see cref="PromptScoring"/>), every row whose position is
/// scored and not scored before, with the token it should predict. <see cref="LogitRows"/> keeps batch order, so the
/// sampling rows and the scored rows are interleaved; <see cref="SamplingPositions"/> and <see cref="ScoredPositions"/>
/// index into the logits the decoder returns.
/// </summary>
internal sealed class ScoringRows
{
    private readonly List<int> _logitRows = [];
    private readonly List<long> _samplingPositions = [];
    private readonly List<long> _scoredPositions = [];
    private readonly List<long> _targets = [];
    private readonly List<(int WorkRow, int Count)> _owners = [];

    public bool IsEmpty => _scoredPositions.Count == 0;
    public int[] LogitRows => [.. _logitRows];
    public long[] SamplingPositions => [.. _samplingPositions];
    public long[] ScoredPositions => [.. _scoredPositions];
    public long[] Targets => [.. _targets];

    public static ScoringRows Plan(ScheduledBatch batch, ForwardBatch forward)
    {
        var plan = new ScoringRows();
        var sampled = forward.LogitRows.ToHashSet();
        for (var w = 0; w < batch.Work.Count; w++)
        {
            var (sequence, count) = batch.Work[w];
            var span = forward.Sequences[w];
            if (sequence.Request.Scoring is not { } scoring)
            {
                var last = span.FirstToken + count - 1;
                if (sampled.Contains(last))
                {
                    plan._samplingPositions.Add(plan._logitRows.Count);
                    plan._logitRows.Add(last);
                }
                continue;
            }
            var start = sequence.Kv!.Length;
            var prompt = sequence.Request.PromptTokenIds;
            var first = Math.Max(start, Math.Max(scoring.FirstScoredPosition, sequence.ScoredThrough));
            var scored = 0;
            for (var position = first; position < start + count; position++, scored++)
            {
                plan._scoredPositions.Add(plan._logitRows.Count);
                plan._logitRows.Add(span.FirstToken + position - start);
                plan._targets.Add(position + 1 < prompt.Count ? prompt[position + 1] : scoring.FollowingTokenId);
            }
            if (scored > 0)
            {
                plan._owners.Add((w, scored));
            }
        }
        return plan;
    }

    /// <summary>Sums each scoring sequence's share of <paramref name="negativeLogLikelihoods"/> (one per scored row, in order) in float64.</summary>
    public IReadOnlyList<ScoredRows> Sum(double[] negativeLogLikelihoods)
    {
        var sums = new List<ScoredRows>(_owners.Count);
        var offset = 0;
        foreach (var (workRow, count) in _owners)
        {
            double total = 0;
            for (var i = 0; i < count; i++)
            {
                total += negativeLogLikelihoods[offset + i];
            }
            sums.Add(new ScoredRows(workRow, count, total));
            offset += count;
        }
        return sums;
    }
}
