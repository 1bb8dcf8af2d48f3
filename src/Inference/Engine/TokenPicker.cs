using GqaService.Inference.Sampling;

namespace GqaService.Inference.Engine;

/// <summary>One request's sampler with its own seeded random stream, so a preempted and recomputed request continues identically.</summary>
internal sealed class TokenPicker(SamplingParameters parameters)
{
    private readonly SamplerState _state = new(parameters);

    public int Pick(ReadOnlySpan<float> logits) => _state.Next(logits);
}
