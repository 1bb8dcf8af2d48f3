using System.Buffers;

namespace GqaService.Inference.Sampling;

/// <summary>
/// Picks the next token from logits: greedy (argmax, ties to the lowest id), or a draw from the temperature-scaled softmax,
/// restricted first to the <c>TopK</c> most likely tokens and then to the nucleus: the smallest set of most likely tokens
/// whose (renormalised) mass reaches <c>TopP</c>. All randomness comes from the caller's <see cref="SeededRandom"/>.
/// Parameters are checked once, at admission (<see cref="GqaService.Inference.Limits.GenerationRequestValidator"/>), not per token.
/// </summary>
public static class TokenSampler
{
    public static int Sample(ReadOnlySpan<float> logits, SamplingParameters parameters, SeededRandom random)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("No logits to sample from.", nameof(logits));
        }
        if (parameters.IsGreedy)
        {
            return Argmax(logits);
        }
        var probabilities = ArrayPool<double>.Shared.Rent(logits.Length);
        var candidates = ArrayPool<int>.Shared.Rent(logits.Length);
        try
        {
            var total = SoftmaxWeights(logits, parameters.Temperature, probabilities);
            if (!(total > 0) || double.IsInfinity(total))
            {
                return Argmax(logits);
            }
            var kept = SamplingCandidates.Select(probabilities, logits.Length, total, parameters.TopK, parameters.TopP, candidates);
            return Draw(probabilities, candidates.AsSpan(0, kept), random);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(probabilities);
            ArrayPool<int>.Shared.Return(candidates);
        }
    }

    /// <summary>The index of the largest logit; the lowest such index on ties. NaN never wins.</summary>
    public static int Argmax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        var bestValue = float.NegativeInfinity;
        for (var i = 0; i < logits.Length; i++)
        {
            if (logits[i] > bestValue)
            {
                best = i;
                bestValue = logits[i];
            }
        }
        return best;
    }

    /// <summary>Unnormalised softmax weights in double, dividing (not multiplying by 1/T) so tiny temperatures cannot overflow.</summary>
    private static double SoftmaxWeights(ReadOnlySpan<float> logits, float temperature, double[] weights)
    {
        var max = float.NegativeInfinity;
        foreach (var logit in logits)
        {
            max = Math.Max(max, float.IsNaN(logit) ? float.NegativeInfinity : logit);
        }
        var total = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            var shifted = ((double)logits[i] - max) / temperature;
            weights[i] = float.IsNaN(logits[i]) || float.IsNegativeInfinity(logits[i]) ? 0 : Math.Exp(shifted);
            total += weights[i];
        }
        return total;
    }

    private static int Draw(double[] weights, ReadOnlySpan<int> candidates, SeededRandom random)
    {
        var mass = 0.0;
        foreach (var id in candidates)
        {
            mass += weights[id];
        }
        var target = random.NextDouble() * mass;
        var cumulative = 0.0;
        foreach (var id in candidates)
        {
            cumulative += weights[id];
            if (target < cumulative)
            {
                return id;
            }
        }
        // Rounding can leave target a hair above the sum; the last candidate is then the right answer.
        return candidates[^1];
    }
}
