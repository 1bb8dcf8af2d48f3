using GqaService.Inference.Sampling;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>
/// Executes one scheduled step: the forward over every scheduled token and the sampling of the rows that finish their
/// pending tokens. Reads the batch's block tables, writes K/V, and leaves the block tables alone (the output side records
/// what was computed). <see cref="ModelRunner"/> is the real one; tests pass a fake.
/// </summary>
internal interface IStepRunner
{
    StepOutput Execute(ScheduledBatch batch, SamplingBatch sampling);
}
