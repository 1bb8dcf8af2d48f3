namespace GqaService.Inference.Model;

/// <summary>
/// A model's <c>rope_scaling</c>: which <see cref="RopeScalingKind"/> and its parameters. Applied once, to the inverse
/// frequencies the rotary tables are built from, so the decoder's per-step work is the same for every kind.
/// </summary>
public sealed record RopeScaling
{
    public static RopeScaling None { get; } = new() { Kind = RopeScalingKind.None };

    public required RopeScalingKind Kind { get; init; }
    public double Factor { get; init; } = 1;
    /// <summary>Llama 3: wavelengths longer than original_max_position_embeddings / low_freq_factor are fully scaled.</summary>
    public double LowFreqFactor { get; init; } = 1;
    /// <summary>Llama 3: wavelengths shorter than original_max_position_embeddings / high_freq_factor are kept.</summary>
    public double HighFreqFactor { get; init; } = 4;
    public int OriginalMaxPositions { get; init; } = 8192;

    /// <summary>Rescales one inverse frequency (radians per position). <see cref="RopeScalingKind.None"/> returns it unchanged.</summary>
    public double Scale(double inverseFrequency)
    {
        switch (Kind)
        {
            case RopeScalingKind.Linear:
                return inverseFrequency / Factor;
            case RopeScalingKind.Llama3:
                var wavelength = 2 * Math.PI / inverseFrequency;
                var lowFrequencyWavelength = OriginalMaxPositions / LowFreqFactor;
                var highFrequencyWavelength = OriginalMaxPositions / HighFreqFactor;
                if (wavelength < highFrequencyWavelength)
                {
                    return inverseFrequency;
                }
                if (wavelength > lowFrequencyWavelength)
                {
                    return inverseFrequency / Factor;
                }
                var smooth = (OriginalMaxPositions / wavelength - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
                return (1 - smooth) * inverseFrequency / Factor + smooth * inverseFrequency;
            default:
                return inverseFrequency;
        }
    }

    /// <summary>Throws <see cref="ModelConfigException"/> for parameters that make no frequencies.</summary>
    public RopeScaling Validate()
    {
        if (Kind == RopeScalingKind.None)
        {
            return this;
        }
        if (!(Factor >= 1) || double.IsInfinity(Factor))
        {
            throw new ModelConfigException("rope_scaling.factor", $"must be a finite number of at least 1, got {Factor}.");
        }
        if (Kind == RopeScalingKind.Llama3)
        {
            if (!(LowFreqFactor > 0) || !(HighFreqFactor > LowFreqFactor))
            {
                throw new ModelConfigException("rope_scaling.high_freq_factor",
                    $"needs 0 < low_freq_factor ({LowFreqFactor}) < high_freq_factor ({HighFreqFactor}).");
            }
            if (OriginalMaxPositions <= 0)
            {
                throw new ModelConfigException("rope_scaling.original_max_position_embeddings", $"must be positive, got {OriginalMaxPositions}.");
            }
        }
        return this;
    }
}
