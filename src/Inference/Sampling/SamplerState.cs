namespace GqaService.Inference.Sampling;

/// <summary>One request's sampling: its parameters and its own random stream, so concurrent requests never share state.</summary>
public sealed class SamplerState
{
    public SamplerState(SamplingParameters parameters)
    {
        Parameters = parameters;
        Random = SeededRandom.FromSeed(parameters.Seed);
    }

    public SamplingParameters Parameters { get; }
    public SeededRandom Random { get; }

    /// <summary>The seed actually used (drawn at random when the request gave none).</summary>
    public ulong Seed => Random.Seed;

    public int Next(ReadOnlySpan<float> logits) => TokenSampler.Sample(logits, Parameters, Random);
}
