using GqaService.Inference.Sampling;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Sampling;

/// <summary>
/// Bias, penalties and min_p through the libtorch sampler against the same adjustments written by hand in float64 here
/// (<see cref="ReferenceAdjust"/>), followed by <see cref="ReferenceSampler"/>, on fresh random logits and histories.
/// </summary>
public sealed class LogitAdjustmentTests
{
    private const int Vocab = 1500;
    private readonly int _seed = Random.Shared.Next();
    private readonly Random _random;

    public LogitAdjustmentTests() => _random = new Random(_seed);

    [Fact]
    public void EveryRowIsTheReferenceTokenOfItsHandAdjustedLogits_GreedyOrDrawn()
    {
        var rows = Enumerable.Range(0, 32).Select(_ => Logits(spread: 10)).ToArray();
        var cases = new List<(SamplingParameters Parameters, SamplingHistory History, double Uniform)>();
        var batch = new SamplingBatch();
        for (var i = 0; i < rows.Length; i++)
        {
            var parameters = RandomKnobs(greedy: i % 4 == 0, rows[i]);
            var history = RandomHistory(rows[i]);
            var uniform = _random.NextDouble();
            cases.Add((parameters, history, uniform));
            batch.Add(i, parameters, uniform, history, topLogprobs: null);
        }

        var ids = Sample(rows, batch).TokenIds;

        for (var i = 0; i < rows.Length; i++)
        {
            var (parameters, history, uniform) = cases[i];
            var adjusted = ReferenceAdjust(rows[i], parameters, history);
            var expected = parameters.IsGreedy ? ReferenceSampler.Argmax(adjusted) : ReferenceSampler.Draw(adjusted, parameters, uniform);
            Assert.True(expected == ids[i], $"seed {_seed}, row {i} ({Describe(parameters)}, u = {uniform}): expected {expected}, got {ids[i]}");
        }
    }

    [Theory]
    [InlineData("presence")]
    [InlineData("frequency")]
    [InlineData("repetition")]
    [InlineData("bias")]
    public void EachKnobAloneMovesTheGreedyChoiceOffTheRawArgmax_ExactlyAsTheReferenceDoes(string knob)
    {
        var rows = Enumerable.Range(0, 16).Select(_ => Logits(spread: 4)).ToArray();
        var batch = new SamplingBatch();
        var cases = new List<(SamplingParameters Parameters, SamplingHistory History)>();
        for (var i = 0; i < rows.Length; i++)
        {
            var top = ReferenceSampler.Argmax(rows[i]);
            // The raw favourite appears in the output (twice), so every penalty applies to it.
            var history = new SamplingHistory([.. RandomTokens(6), top, .. RandomTokens(3), top], PromptLength: 6);
            var parameters = knob switch
            {
                "presence" => new SamplingParameters { PresencePenalty = 2f },
                "frequency" => new SamplingParameters { FrequencyPenalty = 2f },
                "repetition" => new SamplingParameters { RepetitionPenalty = 8f },
                _ => new SamplingParameters { LogitBias = new Dictionary<int, float> { [top] = -100f } },
            };
            cases.Add((parameters, history));
            batch.Add(i, parameters, 0, history, topLogprobs: null);
        }

        var ids = Sample(rows, batch).TokenIds;

        var expected = rows.Select((row, i) => ReferenceSampler.Argmax(ReferenceAdjust(row, cases[i].Parameters, cases[i].History))).ToArray();
        Assert.Equal(expected, ids);
        Assert.True(rows.Where((row, i) => ids[i] != ReferenceSampler.Argmax(row)).Count() >= rows.Length / 2,
            $"seed {_seed}: the {knob} penalty should move most rows off their raw argmax");
    }

    [Fact]
    public void ABiasOfPlus100ForcesTheToken_AtAnyTemperature_AndMinus100BansIt()
    {
        // Logits spread far wider than 100 (as a trained model's can): the ends of the range must still force and ban.
        var rows = Enumerable.Range(0, 64).Select(_ => Logits(spread: 400)).ToArray();
        // Never the row's own favourite, which the same bias table bans (one key cannot carry both biases).
        var forced = rows.Select(row => (ReferenceSampler.Argmax(row) + 1 + _random.Next(Vocab - 1)) % Vocab).ToArray();
        var batch = new SamplingBatch();
        for (var i = 0; i < rows.Length; i++)
        {
            var parameters = new SamplingParameters
            {
                Temperature = i % 2 == 0 ? 0f : 2f,
                LogitBias = new Dictionary<int, float> { [forced[i]] = 100f, [ReferenceSampler.Argmax(rows[i])] = -100f },
            };
            batch.Add(i, parameters, _random.NextDouble(), SamplingHistory.None, topLogprobs: null);
        }

        Assert.Equal(forced, Sample(rows, batch).TokenIds);

        var banning = new SamplingBatch();
        for (var i = 0; i < rows.Length; i++)
        {
            var top = Enumerable.Range(0, Vocab).OrderByDescending(id => rows[i][id]).Take(3).ToArray();
            banning.Add(i, new SamplingParameters { LogitBias = top.ToDictionary(id => id, _ => -100f) }, 0, SamplingHistory.None, topLogprobs: null);
        }
        var afterBan = Sample(rows, banning).TokenIds;
        Assert.Equal(rows.Select(row => Enumerable.Range(0, Vocab).OrderByDescending(id => row[id]).ElementAt(3)), afterBan);
    }

    [Fact]
    public void MinPKeepsOnlyTokensAtLeastThatFractionOfTheLeader_DrawsFollowTheReferenceDistribution()
    {
        const int vocab = 30;
        const int draws = 20_000;
        var logits = Enumerable.Range(0, vocab).Select(_ => (float)((_random.NextDouble() - 0.5) * 6)).ToArray();
        var parameters = new SamplingParameters { Temperature = 1f, MinP = 0.15f };
        var expected = ReferenceSampler.Probabilities(logits, parameters);
        var uniforms = new SeededRandom((ulong)_seed);
        var batch = new SamplingBatch();
        for (var i = 0; i < draws; i++)
        {
            batch.Add(i, parameters, uniforms.NextDouble());
        }
        var counts = new int[vocab];
        using (var scope = NewDisposeScope())
        using (var sampler = new TensorSampler(vocab))
        {
            var tensorRows = tensor(logits).unsqueeze(0).expand(draws, vocab).contiguous();
            foreach (var id in sampler.Sample(tensorRows, batch).TokenIds)
            {
                counts[id]++;
            }
        }

        var kept = expected.Count(p => p > 0);
        Assert.True(kept > 1 && kept < vocab, $"seed {_seed}: min_p should keep some but not all of the tokens (kept {kept})");
        for (var id = 0; id < vocab; id++)
        {
            if (expected[id] == 0)
            {
                Assert.True(counts[id] == 0, $"seed {_seed}: id {id} is below min_p but was drawn {counts[id]} times");
                continue;
            }
            var sigma = Math.Sqrt(draws * expected[id] * (1 - expected[id]));
            Assert.True(Math.Abs(counts[id] - draws * expected[id]) <= 5 * sigma + 1,
                $"seed {_seed}: id {id} drawn {counts[id]} times, expected {draws * expected[id]:F0} ± {5 * sigma:F0}");
        }
    }

    /// <summary>
    /// The adjustments as documented, in float64: bias (−100 bans; with +100 entries only they remain), then repetition
    /// over prompt and output, then frequency and presence over the output.
    /// </summary>
    private static double[] ReferenceAdjust(float[] logits, SamplingParameters parameters, SamplingHistory history)
    {
        var x = logits.Select(l => (double)l).ToArray();
        foreach (var (id, bias) in parameters.LogitBias)
        {
            x[id] = bias <= -100f ? double.NegativeInfinity : x[id] + bias;
        }
        if (parameters.LogitBias.Values.Any(b => b >= 100f))
        {
            for (var id = 0; id < x.Length; id++)
            {
                if (!(parameters.LogitBias.TryGetValue(id, out var bias) && bias >= 100f))
                {
                    x[id] = double.NegativeInfinity;
                }
            }
        }
        if (parameters.RepetitionPenalty != 1f)
        {
            double r = parameters.RepetitionPenalty;
            foreach (var id in history.Tokens.Distinct())
            {
                x[id] = x[id] > 0 ? x[id] / r : x[id] * r;
            }
        }
        foreach (var group in history.Tokens.Skip(history.PromptLength).GroupBy(t => t))
        {
            x[group.Key] -= group.Count() * (double)parameters.FrequencyPenalty + (double)parameters.PresencePenalty;
        }
        return x;
    }

    private SamplingParameters RandomKnobs(bool greedy, float[] logits)
    {
        var bias = new Dictionary<int, float>();
        for (var j = _random.Next(0, 6); j > 0; j--)
        {
            bias[_random.Next(Vocab)] = (float)((_random.NextDouble() - 0.5) * 20);
        }
        return new SamplingParameters
        {
            Temperature = greedy ? 0f : (float)(0.3 + _random.NextDouble() * 1.5),
            TopK = _random.Next(3) == 0 ? _random.Next(2, 100) : 0,
            TopP = _random.Next(3) == 0 ? (float)(0.3 + _random.NextDouble() * 0.7) : 1f,
            MinP = _random.Next(2) == 0 ? (float)(_random.NextDouble() * 0.3) : 0f,
            PresencePenalty = (float)((_random.NextDouble() - 0.5) * 4),
            FrequencyPenalty = (float)((_random.NextDouble() - 0.5) * 4),
            RepetitionPenalty = _random.Next(3) == 0 ? 1f : (float)(0.5 + _random.NextDouble() * 2),
            LogitBias = bias,
        };
    }

    /// <summary>A history that repeats tokens (drawn from a few dozen ids, some of them likely ones), prompt and output.</summary>
    private SamplingHistory RandomHistory(float[] logits)
    {
        var likely = Enumerable.Range(0, Vocab).OrderByDescending(id => logits[id]).Take(10).ToArray();
        var pool = likely.Concat(RandomTokens(30)).ToArray();
        var tokens = Enumerable.Range(0, 40).Select(_ => pool[_random.Next(pool.Length)]).ToArray();
        return new SamplingHistory(tokens, PromptLength: _random.Next(0, 40));
    }

    private int[] RandomTokens(int count) => Enumerable.Range(0, count).Select(_ => _random.Next(Vocab)).ToArray();

    private static string Describe(SamplingParameters p) =>
        $"T {p.Temperature}, top_k {p.TopK}, top_p {p.TopP}, min_p {p.MinP}, presence {p.PresencePenalty}, frequency {p.FrequencyPenalty}, repetition {p.RepetitionPenalty}, bias {p.LogitBias.Count}";

    private static SamplerResult Sample(float[][] rows, SamplingBatch batch)
    {
        using var scope = NewDisposeScope();
        using var sampler = new TensorSampler(rows[0].Length);
        var logits = tensor(rows.SelectMany(r => r).ToArray()).view(rows.Length, rows[0].Length);
        return sampler.Sample(logits, batch);
    }

    private float[] Logits(double spread) =>
        Enumerable.Range(0, Vocab).Select(_ => (float)((_random.NextDouble() - 0.5) * spread)).ToArray();
}
