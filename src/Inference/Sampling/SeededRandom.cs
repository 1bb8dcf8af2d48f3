using System.Security.Cryptography;

namespace GqaService.Inference.Sampling;

/// <summary>
/// xoshiro256** seeded through SplitMix64: fast, well distributed, and defined bit for bit by its seed on every platform
/// and runtime version (unlike <see cref="Random"/>, whose algorithm is an implementation detail). One per request.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SeededRandom(ulong seed)
    {
        Seed = seed;
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>The seed, so a request that asked for none can still be reported and replayed.</summary>
    public ulong Seed { get; }

    /// <summary>A generator for <paramref name="seed"/>, or for a fresh unpredictable seed when it is null.</summary>
    public static SeededRandom FromSeed(ulong? seed) =>
        new(seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong))));

    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
