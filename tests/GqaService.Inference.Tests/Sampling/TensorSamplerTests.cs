using GqaService.Inference.Sampling;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Sampling;

/// <summary>The libtorch sampler against <see cref="ReferenceSampler"/> (float64, written from the definitions), on fresh random logits.</summary>
public sealed class TensorSamplerTests
{
    private readonly int _seed = Random.Shared.Next();
    private readonly Random _random;

    public TensorSamplerTests() => _random = new Random(_seed);

    [Fact]
    public void GreedyRowsAreTheArgmax_TiesToTheLowestId_NaNNeverWins()
    {
        const int vocab = 32_000;
        var rows = Enumerable.Range(0, 6).Select(_ => Logits(vocab, spread: 8)).ToArray();
        var tied = rows[1].Max();
        rows[1][5] = tied;
        rows[1][vocab - 3] = tied;
        rows[2][0] = float.NaN;
        var batch = new SamplingBatch();
        for (var i = 0; i < rows.Length; i++)
        {
            batch.Add(i, i % 2 == 0 ? SamplingParameters.Greedy : new SamplingParameters { Temperature = 0f, TopP = 0.3f, TopK = 7 }, _random.NextDouble());
        }

        var ids = Sample(rows, batch);

        Assert.Equal(rows.Select(ReferenceSampler.Argmax), ids);
        Assert.True(ids[1] <= 5, $"seed {_seed}: a tie must go to the lowest id");
    }

    [Fact]
    public void TopKOfOneIsGreedyAtAnyTemperature()
    {
        var rows = Enumerable.Range(0, 8).Select(_ => Logits(1000, spread: 8)).ToArray();
        var batch = new SamplingBatch();
        for (var i = 0; i < rows.Length; i++)
        {
            batch.Add(i, new SamplingParameters { Temperature = 5f, TopK = 1 }, _random.NextDouble());
        }
        Assert.Equal(rows.Select(ReferenceSampler.Argmax), Sample(rows, batch));
    }

    [Fact]
    public void EveryDrawIsTheFloat64ReferenceTokenForTheSameUniform()
    {
        const int vocab = 32_000;
        var rows = Enumerable.Range(0, 24).Select(_ => Logits(vocab, spread: 12)).ToArray();
        var parameters = new List<SamplingParameters>();
        var uniforms = new List<double>();
        var batch = new SamplingBatch();
        for (var i = 0; i < rows.Length; i++)
        {
            var p = new SamplingParameters
            {
                Temperature = (float)(0.2 + _random.NextDouble() * 1.5),
                TopK = (i % 3) switch { 0 => 0, 1 => _random.Next(2, 200), _ => vocab + 5 },
                TopP = i % 4 == 0 ? 1f : (float)(0.05 + _random.NextDouble() * 0.9),
            };
            var u = _random.NextDouble();
            parameters.Add(p);
            uniforms.Add(u);
            batch.Add(i, p, u);
        }

        var ids = Sample(rows, batch);

        for (var i = 0; i < rows.Length; i++)
        {
            Assert.True(ReferenceSampler.Draw(rows[i], parameters[i], uniforms[i]) == ids[i],
                $"seed {_seed}, row {i} ({parameters[i]}, u = {uniforms[i]}): expected {ReferenceSampler.Draw(rows[i], parameters[i], uniforms[i])}, got {ids[i]}");
        }
    }

    [Theory]
    [InlineData(1.0f, 5, 1.0f)]
    [InlineData(0.7f, 0, 0.8f)]
    [InlineData(1.3f, 12, 0.6f)]
    public void DrawsFollowTheMaskedDistribution(float temperature, int topK, float topP)
    {
        const int vocab = 40;
        const int rows = 4000;
        const int rounds = 5;
        var logits = Logits(vocab, spread: 6);
        var parameters = new SamplingParameters { Temperature = temperature, TopK = topK, TopP = topP };
        var expected = ReferenceSampler.Probabilities(logits, parameters);
        var uniforms = new SeededRandom((ulong)_seed);
        var counts = new int[vocab];
        for (var round = 0; round < rounds; round++)
        {
            var batch = new SamplingBatch();
            for (var i = 0; i < rows; i++)
            {
                batch.Add(i, parameters, uniforms.NextDouble());
            }
            foreach (var id in Sample(Enumerable.Repeat(logits, rows).ToArray(), batch))
            {
                counts[id]++;
            }
        }

        const int draws = rows * rounds;
        for (var id = 0; id < vocab; id++)
        {
            if (expected[id] == 0)
            {
                Assert.True(counts[id] == 0, $"seed {_seed}: id {id} lies outside the top-k/top-p set but was drawn {counts[id]} times");
                continue;
            }
            // Five standard deviations of a binomial count.
            var sigma = Math.Sqrt(draws * expected[id] * (1 - expected[id]));
            Assert.True(Math.Abs(counts[id] - draws * expected[id]) <= 5 * sigma + 1,
                $"seed {_seed}: id {id} drawn {counts[id]} times, expected {draws * expected[id]:F0} ± {5 * sigma:F0}");
        }
        Assert.True(expected.Count(p => p > 0) > 1, "the case should leave more than one candidate");
    }

    [Fact]
    public void LogitRowsMustMatchTheSamplingRows()
    {
        var rows = Enumerable.Range(0, 3).Select(_ => Logits(300, spread: 8)).ToArray();
        var batch = new SamplingBatch();
        batch.Add(1, SamplingParameters.Greedy, 0);
        batch.Add(4, SamplingParameters.Greedy, 0);

        Assert.Throws<ArgumentException>(() => Sample(rows, batch));
        Assert.Equal([ReferenceSampler.Argmax(rows[0]), ReferenceSampler.Argmax(rows[1])], Sample(rows[..2], batch));
        Assert.Throws<ArgumentException>(() => batch.Add(2, SamplingParameters.Greedy, 0));
    }

    private static int[] Sample(float[][] rows, SamplingBatch batch)
    {
        using var scope = NewDisposeScope();
        using var sampler = new TensorSampler(rows[0].Length);
        var logits = tensor(rows.SelectMany(r => r).ToArray()).view(rows.Length, rows[0].Length);
        return sampler.Sample(logits, batch).TokenIds;
    }

    private float[] Logits(int vocab, double spread) =>
        Enumerable.Range(0, vocab).Select(_ => (float)((_random.NextDouble() - 0.5) * spread)).ToArray();
}
