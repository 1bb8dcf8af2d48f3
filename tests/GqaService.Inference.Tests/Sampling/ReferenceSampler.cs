using GqaService.Inference.Sampling;

namespace GqaService.Inference.Tests.Sampling;

/// <summary>
/// An independent float64 sampler written from the definitions: the probabilities that temperature, min-p, top-k and top-p
/// leave for one row, and the token that the inverse cumulative distribution gives for a uniform draw. Ties go to the lowest
/// id. Logit adjustments (bias, penalties) are the caller's: it passes the adjusted logits.
/// </summary>
internal static class ReferenceSampler
{
    /// <summary>The renormalised distribution over the whole vocabulary (zero outside the kept set).</summary>
    public static double[] Probabilities(float[] logits, SamplingParameters parameters) =>
        Probabilities(Array.ConvertAll(logits, l => (double)l), parameters);

    public static double[] Probabilities(double[] logits, SamplingParameters parameters)
    {
        var order = SortedIds(logits, parameters.Temperature);
        var weights = new double[logits.Length];
        var max = logits.Max();
        foreach (var id in order)
        {
            weights[id] = Math.Exp((logits[id] - max) / parameters.Temperature);
        }
        // min_p: a token stays if its probability is at least min_p times the most likely one's (weights are exactly that ratio).
        var eligible = order.Where(id => weights[id] >= parameters.MinP).ToList();
        var keep = parameters.TopK > 0 ? Math.Min(parameters.TopK, eligible.Count) : eligible.Count;
        var kept = eligible.Take(keep).ToList();
        if (parameters.TopP < 1f)
        {
            var mass = kept.Sum(id => weights[id]);
            var cumulative = 0.0;
            var nucleus = new List<int>();
            foreach (var id in kept)
            {
                nucleus.Add(id);
                cumulative += weights[id];
                if (cumulative >= parameters.TopP * mass)
                {
                    break;
                }
            }
            kept = nucleus;
        }
        var total = kept.Sum(id => weights[id]);
        var probabilities = new double[logits.Length];
        foreach (var id in kept)
        {
            probabilities[id] = weights[id] / total;
        }
        return probabilities;
    }

    /// <summary>The token whose cumulative interval (in most-likely-first order) holds <paramref name="uniform"/>.</summary>
    public static int Draw(float[] logits, SamplingParameters parameters, double uniform) =>
        Draw(Array.ConvertAll(logits, l => (double)l), parameters, uniform);

    public static int Draw(double[] logits, SamplingParameters parameters, double uniform)
    {
        var probabilities = Probabilities(logits, parameters);
        var cumulative = 0.0;
        var last = -1;
        foreach (var id in SortedIds(logits, parameters.Temperature))
        {
            if (probabilities[id] == 0)
            {
                continue;
            }
            last = id;
            cumulative += probabilities[id];
            if (uniform < cumulative)
            {
                return id;
            }
        }
        return last;
    }

    public static int Argmax(float[] logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best] || float.IsNaN(logits[best]))
            {
                best = i;
            }
        }
        return best;
    }

    public static int Argmax(double[] logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }
        return best;
    }

    private static int[] SortedIds(double[] logits, float temperature) =>
        Enumerable.Range(0, logits.Length)
            .OrderByDescending(id => logits[id] / temperature)
            .ThenBy(id => id)
            .ToArray();
}
