using GqaService.Inference.Sampling;

namespace GqaService.Inference.Tests.Sampling;

public sealed class TokenSamplerTests
{
    private static readonly float[] Logits = RandomLogits(1000, seed: 7);

    [Fact]
    public void GreedyIsArgmaxWithTiesToTheLowestId()
    {
        var random = new SeededRandom(1);
        Assert.Equal(Array.IndexOf(Logits, Logits.Max()), TokenSampler.Sample(Logits, SamplingParameters.Greedy, random));
        Assert.Equal(1, TokenSampler.Sample([0f, 3f, 3f, float.NaN], SamplingParameters.Greedy, random));
        Assert.Equal(2, TokenSampler.Argmax([float.NegativeInfinity, float.NaN, -1f]));
    }

    [Fact]
    public void TopKOfOneIsGreedyAtAnyTemperature()
    {
        var random = new SeededRandom(2);
        var argmax = TokenSampler.Argmax(Logits);
        var parameters = new SamplingParameters { Temperature = 5f, TopK = 1 };
        Assert.All(Enumerable.Range(0, 200), _ => Assert.Equal(argmax, TokenSampler.Sample(Logits, parameters, random)));
    }

    [Fact]
    public void SameSeedGivesTheSameSequence()
    {
        var parameters = new SamplingParameters { Temperature = 1f, TopP = 0.9f, TopK = 50, Seed = 1234 };
        var first = Draws(new SamplerState(parameters), 300);
        var second = Draws(new SamplerState(parameters), 300);
        var other = Draws(new SamplerState(parameters with { Seed = 1235 }), 300);
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        Assert.True(first.Distinct().Count() > 5);
    }

    [Fact]
    public void SeededRandomIsFixedBitForBit()
    {
        var random = new SeededRandom(0);
        var values = Enumerable.Range(0, 3).Select(_ => random.NextUInt64()).ToArray();
        var again = new SeededRandom(0);
        Assert.Equal(values, Enumerable.Range(0, 3).Select(_ => again.NextUInt64()).ToArray());
        Assert.All(Enumerable.Range(0, 1000), _ => Assert.InRange(random.NextDouble(), 0.0, 0.9999999999999999));
        Assert.NotEqual(SeededRandom.FromSeed(null).Seed, SeededRandom.FromSeed(null).Seed);
        Assert.Equal(99UL, new SamplerState(new SamplingParameters { Temperature = 1, Seed = 99 }).Seed);
    }

    [Fact]
    public void TopPKeepsTheSmallestSetReachingPAndMatchesItsDistribution()
    {
        // Probabilities 0.5, 0.2, 0.15, 0.1, 0.05: the nucleus for p = 0.8 is {0, 1, 2} (0.7 < 0.8 <= 0.85).
        float[] logits = [MathF.Log(0.2f), MathF.Log(0.5f), MathF.Log(0.05f), MathF.Log(0.15f), MathF.Log(0.1f)];
        var state = new SamplerState(new SamplingParameters { Temperature = 1f, TopP = 0.8f, Seed = 5 });
        const int draws = 20_000;
        var counts = new int[logits.Length];
        foreach (var id in Draws(state, draws, logits))
        {
            counts[id]++;
        }
        Assert.Equal(0, counts[2]);
        Assert.Equal(0, counts[4]);
        Assert.InRange(counts[1] / (double)draws, 0.5 / 0.85 - 0.02, 0.5 / 0.85 + 0.02);
        Assert.InRange(counts[0] / (double)draws, 0.2 / 0.85 - 0.02, 0.2 / 0.85 + 0.02);
        Assert.InRange(counts[3] / (double)draws, 0.15 / 0.85 - 0.02, 0.15 / 0.85 + 0.02);
    }

    [Fact]
    public void TopKKeepsTheKMostLikelyInProportion()
    {
        float[] logits = [0f, 3f, 1f, 2f, -1f];
        var state = new SamplerState(new SamplingParameters { Temperature = 1f, TopK = 2, Seed = 6 });
        var ids = Draws(state, 10_000, logits);
        Assert.Equal([1, 3], ids.Distinct().Order());
        var share = ids.Count(id => id == 1) / 10_000.0;
        var expected = Math.Exp(3) / (Math.Exp(3) + Math.Exp(2));
        Assert.InRange(share, expected - 0.02, expected + 0.02);
    }

    [Fact]
    public void PlainSamplingFollowsTheSoftmax()
    {
        float[] logits = [1f, 0f, 2f];
        var state = new SamplerState(new SamplingParameters { Temperature = 2f, Seed = 8 });
        var ids = Draws(state, 30_000, logits);
        var weights = logits.Select(l => Math.Exp(l / 2.0)).ToArray();
        for (var id = 0; id < 3; id++)
        {
            var expected = weights[id] / weights.Sum();
            Assert.InRange(ids.Count(x => x == id) / 30_000.0, expected - 0.015, expected + 0.015);
        }
    }

    [Theory]
    [InlineData(1e-3f)]
    [InlineData(1e-30f)]
    public void TemperatureTowardsZeroBecomesGreedy(float temperature)
    {
        // A margin of 0.05 over the runner-up is 50 temperatures at 1e-3: the others keep under e^-50 of the mass.
        var logits = (float[])Logits.Clone();
        var argmax = TokenSampler.Argmax(logits);
        logits[argmax] += 0.05f;
        var state = new SamplerState(new SamplingParameters { Temperature = temperature, Seed = 9 });
        Assert.All(Draws(state, 200, logits), id => Assert.Equal(argmax, id));
    }

    [Fact]
    public void ModerateTemperatureIsNotGreedy()
    {
        var state = new SamplerState(new SamplingParameters { Temperature = 1f, Seed = 10 });
        Assert.True(Draws(state, 200).Distinct().Count() > 50);
    }

    [Fact]
    public void EmptyLogitsAreRejected()
    {
        var random = new SeededRandom(1);
        Assert.Throws<ArgumentException>(() => TokenSampler.Sample([], SamplingParameters.Greedy, random));
    }

    private static List<int> Draws(SamplerState state, int count, float[]? logits = null) =>
        Enumerable.Range(0, count).Select(_ => state.Next(logits ?? Logits)).ToList();

    private static float[] RandomLogits(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
    }
}
