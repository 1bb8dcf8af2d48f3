namespace GqaService.Inference.Sampling;

/// <summary>The top-k and top-p (nucleus) filters: which token ids stay eligible for a draw.</summary>
internal static class SamplingCandidates
{
    /// <summary>Writes the eligible ids to <paramref name="candidates"/> and returns how many there are.</summary>
    /// <param name="weights">Softmax weights of ids 0..<paramref name="count"/>-1 (the array may be longer).</param>
    public static int Select(double[] weights, int count, double total, int topK, float topP, int[] candidates)
    {
        var useTopK = topK > 0 && topK < count;
        var useTopP = topP < 1f;
        if (!useTopK && !useTopP)
        {
            for (var i = 0; i < count; i++)
            {
                candidates[i] = i;
            }
            return count;
        }
        int kept;
        if (useTopK)
        {
            kept = TopK(weights.AsSpan(0, count), topK, candidates);
        }
        else
        {
            // A token below (1-p)/(n-1) of the mass can never be in the nucleus: all such tokens together hold less than
            // 1-p, so the ones above the cutoff already reach p. Filtering first keeps the sort small.
            var cutoff = count > 1 ? (1 - topP) / (count - 1) * total : 0;
            kept = 0;
            for (var i = 0; i < count; i++)
            {
                if (weights[i] >= cutoff && weights[i] > 0)
                {
                    candidates[kept++] = i;
                }
            }
        }
        Array.Sort(candidates, 0, kept, Comparer<int>.Create((a, b) => MoreLikelyFirst(weights, a, b)));
        return useTopP ? Nucleus(weights, candidates.AsSpan(0, kept), topP) : kept;
    }

    /// <summary>The shortest prefix of the sorted candidates whose share of their total mass reaches <paramref name="topP"/>.</summary>
    private static int Nucleus(ReadOnlySpan<double> weights, ReadOnlySpan<int> sorted, float topP)
    {
        var mass = 0.0;
        foreach (var id in sorted)
        {
            mass += weights[id];
        }
        var cumulative = 0.0;
        for (var i = 0; i < sorted.Length; i++)
        {
            cumulative += weights[sorted[i]];
            if (cumulative >= topP * mass)
            {
                return i + 1;
            }
        }
        return sorted.Length;
    }

    private static int TopK(ReadOnlySpan<double> weights, int k, int[] candidates)
    {
        // A min-heap of the best k seen so far: O(n log k) rather than sorting the whole vocabulary.
        var worstFirst = Comparer<(double Weight, int Id)>.Create((x, y) =>
            x.Weight != y.Weight ? x.Weight.CompareTo(y.Weight) : y.Id.CompareTo(x.Id));
        var heap = new PriorityQueue<int, (double, int)>(k, worstFirst);
        for (var i = 0; i < weights.Length; i++)
        {
            if (heap.Count < k)
            {
                heap.Enqueue(i, (weights[i], i));
            }
            else if (heap.TryPeek(out _, out var worst) && worstFirst.Compare((weights[i], i), worst) > 0)
            {
                heap.DequeueEnqueue(i, (weights[i], i));
            }
        }
        var kept = 0;
        while (heap.TryDequeue(out var id, out _))
        {
            candidates[kept++] = id;
        }
        return kept;
    }

    private static int MoreLikelyFirst(double[] weights, int a, int b) =>
        weights[a] != weights[b] ? weights[b].CompareTo(weights[a]) : a.CompareTo(b);
}
