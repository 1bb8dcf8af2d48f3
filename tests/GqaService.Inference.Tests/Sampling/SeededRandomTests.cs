using GqaService.Inference.Sampling;

namespace GqaService.Inference.Tests.Sampling;

public sealed class SeededRandomTests
{
    [Fact]
    public void SeededRandomIsFixedBitForBit()
    {
        var random = new SeededRandom(0);
        var values = Enumerable.Range(0, 3).Select(_ => random.NextUInt64()).ToArray();
        var again = new SeededRandom(0);
        Assert.Equal(values, Enumerable.Range(0, 3).Select(_ => again.NextUInt64()).ToArray());
        Assert.All(Enumerable.Range(0, 1000), _ => Assert.InRange(random.NextDouble(), 0.0, 0.9999999999999999));
        Assert.NotEqual(SeededRandom.FromSeed(null).Seed, SeededRandom.FromSeed(null).Seed);
        Assert.Equal(99UL, SeededRandom.FromSeed(99).Seed);
    }
}
