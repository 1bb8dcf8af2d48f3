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
    /// <summary>YaRN: pairs that turn more often than this over the original context keep their frequency.</summary>
    public double BetaFast { get; init; } = 32;
    /// <summary>YaRN: pairs that turn less often than this over the original context are fully interpolated.</summary>
    public double BetaSlow { get; init; } = 1;
    /// <summary>YaRN: round the ramp's ends outwards to whole pairs (Hugging Face's <c>truncate</c>, on by default).</summary>
    public bool Truncate { get; init; } = true;
    /// <summary>Multiplies cos and sin, so q and k alike (YaRN's mscale); 1 for every other kind.</summary>
    public double AttentionFactor { get; init; } = 1;

    /// <summary>YaRN's default attention factor: 0.1 * mscale * ln(factor) + 1 (1 for factors up to 1).</summary>
    public static double YarnMscale(double factor, double mscale = 1) => factor <= 1 ? 1 : 0.1 * mscale * Math.Log(factor) + 1;

    /// <summary>
    /// Rescales the inverse frequency (radians per position) of pair <paramref name="pair"/> of a head whose rotary part is
    /// <paramref name="rotaryDim"/> wide. <see cref="RopeScalingKind.None"/> returns it unchanged.
    /// </summary>
    public double Scale(double inverseFrequency, int pair, int rotaryDim, double theta)
    {
        switch (Kind)
        {
            case RopeScalingKind.Yarn:
                var (low, high) = YarnCorrectionRange(rotaryDim, theta);
                var ramp = Math.Clamp((pair - low) / (high - low), 0, 1);
                var extrapolation = 1 - ramp;
                return inverseFrequency / Factor * (1 - extrapolation) + inverseFrequency * extrapolation;
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

    /// <summary>The pairs between which YaRN's ramp runs (low: still extrapolated, high: fully interpolated).</summary>
    private (double Low, double High) YarnCorrectionRange(int rotaryDim, double theta)
    {
        double PairFor(double rotations) => rotaryDim * Math.Log(OriginalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double low = PairFor(BetaFast), high = PairFor(BetaSlow);
        if (Truncate)
        {
            (low, high) = (Math.Floor(low), Math.Ceiling(high));
        }
        (low, high) = (Math.Max(low, 0), Math.Min(high, rotaryDim - 1));
        // Hugging Face's guard against a zero-width ramp.
        return low == high ? (low, high + 0.001) : (low, high);
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
        if (Kind == RopeScalingKind.Yarn)
        {
            if (!(BetaFast > BetaSlow) || !(BetaSlow > 0))
            {
                throw new ModelConfigException("rope_scaling.beta_fast", $"needs 0 < beta_slow ({BetaSlow}) < beta_fast ({BetaFast}).");
            }
            if (!(AttentionFactor > 0) || double.IsInfinity(AttentionFactor))
            {
                throw new ModelConfigException("rope_scaling.attention_factor", $"must be a positive finite number, got {AttentionFactor}.");
            }
        }
        if (Kind is RopeScalingKind.Llama3 or RopeScalingKind.Yarn && OriginalMaxPositions <= 0)
        {
            throw new ModelConfigException("rope_scaling.original_max_position_embeddings", $"must be positive, got {OriginalMaxPositions}.");
        }
        if (Kind == RopeScalingKind.Llama3)
        {
            if (!(LowFreqFactor > 0) || !(HighFreqFactor > LowFreqFactor))
            {
                throw new ModelConfigException("rope_scaling.high_freq_factor",
                    $"needs 0 < low_freq_factor ({LowFreqFactor}) < high_freq_factor ({HighFreqFactor}).");
            }
        }
        return this;
    }
}
