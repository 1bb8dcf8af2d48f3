namespace GqaService.Inference.Tests.KvCache;

/// <summary>
/// Thousands of random engine-like operations over running sequences and sessions, with a tiny vocabulary so
/// prefixes collide, checking after every step that refCounts, tables, the prefix index and the simulated K/V agree.
/// </summary>
public sealed class KvCacheFuzzTests
{
    [Theory]
    [InlineData(1, 4, -1)]
    [InlineData(2, 4, 0)]
    [InlineData(3, 1, -1)]
    [InlineData(4, 3, 3)]
    [InlineData(5, 16, -1)]
    [InlineData(6, 2, -1)]
    public void Random_operations_keep_every_invariant(int seed, int blockSize, int hashMask)
    {
        new KvCacheFuzzRun(seed, blockSize, hashMask).Run();
    }

    [Theory]
    [InlineData(11, 4, -1)]
    [InlineData(12, 4, 0)]
    [InlineData(13, 1, -1)]
    [InlineData(14, 3, 3)]
    [InlineData(15, 16, -1)]
    [InlineData(16, 2, -1)]
    public void Random_operations_with_prefix_caching_and_two_tenants_keep_every_invariant(int seed, int blockSize, int hashMask)
    {
        new KvCacheFuzzRun(seed, blockSize, hashMask, prefixCaching: true).Run();
    }
}
