using GqaService.Inference.Engine;
using GqaService.Inference.Sampling;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Tests.Support;

/// <summary>
/// A step runner without a model: records what each step asked for and "samples" a token that is a function of the
/// sequence's length, so tests can predict every id. No tensors.
/// </summary>
internal sealed class FakeStepRunner : IStepRunner
{
    public List<RecordedStep> Steps { get; } = [];

    /// <summary>The id produced for a sequence holding <c>length</c> tokens; never the fixture's EOS unless a test says so.</summary>
    public Func<Sequence, int> NextToken { get; set; } = sequence => 10 + sequence.Tokens.Count % 50;

    public StepOutput Execute(ScheduledBatch batch, SamplingBatch sampling)
    {
        Steps.Add(new RecordedStep(
            batch.Work.Select(w => (w.Sequence.Request.RequestId, w.TokenCount)).ToList(),
            sampling.Rows.Select(r => batch.Work[r].Sequence.Request.RequestId).ToList(),
            batch.Preempted.Select(s => s.Request.RequestId).ToList()));
        return new StepOutput(sampling.Rows.Select(r => NextToken(batch.Work[r].Sequence)).ToList());
    }
}
