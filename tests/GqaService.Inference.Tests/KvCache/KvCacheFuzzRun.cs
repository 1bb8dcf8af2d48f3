using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.KvCache;

/// <summary>
/// One seeded fuzz run: engine-like operations (prefill with prefix sharing, decode, truncate, fork, release,
/// session turns, eviction, time passing), checking every invariant after each step. With prefix caching, freed blocks
/// stay cached and are evicted by allocation, and two tenants send prompts from the same corpus (so they would collide).
/// </summary>
internal sealed class KvCacheFuzzRun(int seed, int blockSize, int hashMask, bool prefixCaching = false)
{
    private static readonly string[] Tenants = ["", "tenant-b"];

    private const int Steps = 3000;
    private const int Vocabulary = 3;

    private readonly Random random = new(seed);
    private readonly PrefixBlockIndex index = new(hashMask, prefixCaching);
    private readonly ManualTimeProvider clock = new();
    private readonly List<KvSequence> running = [];
    private readonly List<Session> activeSessions = [];
    private SimulatedKvPool pool = null!;
    private SessionStore store = null!;
    private int[][] corpus = [];
    private int copiesSeen;
    private int tokensReused;
    private int reserveFailures;
    private int evictions;
    private int cacheHits;
    private int cacheEvictions;
    private BlockAllocator allocator = null!;

    public void Run()
    {
        allocator = new BlockAllocator(600 / blockSize + 8, block =>
        {
            cacheEvictions++;
            index.Forget(block);
        });
        pool = new SimulatedKvPool(allocator.TotalBlocks, blockSize);
        store = new SessionStore(allocator, index, blockSize, clock);
        corpus = Enumerable.Range(0, 4).Select(_ => RandomTokens(40 + random.Next(40))).ToArray();
        for (var step = 0; step < Steps; step++)
        {
            var operation = random.Next(13);
            Guarded(step, operation, () =>
            {
                Perform(operation);
                CheckAll();
            });
        }
        Guarded(Steps, -1, ReleaseEverything);
        Assert.True(
            (copiesSeen > 0 || blockSize == 1) && tokensReused > 0 && reserveFailures > 0 && evictions > 0,
            $"seed {seed}: fuzz missed a path (copies {copiesSeen}, reused {tokensReused}, reserve failures {reserveFailures}, evictions {evictions}).");
        Assert.True(!prefixCaching || (cacheHits > 0 && cacheEvictions > 0),
            $"seed {seed}: fuzz missed a cache path (hits {cacheHits}, evictions {cacheEvictions}).");
        Assert.True(prefixCaching || (cacheHits == 0 && cacheEvictions == 0), "blocks were cached with caching off");
    }

    private void Guarded(int step, int operation, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            Assert.Fail($"seed {seed}, blockSize {blockSize}, hashMask {hashMask}, step {step}, operation {operation}: {ex}");
        }
    }

    private void Perform(int operation)
    {
        switch (operation)
        {
            case 0 or 1:
                StartRunningSequence();
                break;
            case 2 or 3 when running.Count > 0:
                Extend(Pick(running), RandomTokens(1 + random.Next(2 * blockSize)));
                break;
            case 4 when running.Count > 0:
                var truncated = Pick(running);
                truncated.TruncateTo(random.Next(truncated.Length + 1));
                break;
            case 5:
                var all = AllSequences().ToList();
                if (all.Count > 0)
                {
                    running.Add(Pick(all).Fork());
                }
                break;
            case 6 when running.Count > 0:
                var released = Pick(running);
                running.Remove(released);
                released.ReleaseAll();
                break;
            case 7 or 8:
                SessionTurn();
                break;
            case 9 when activeSessions.Count > 0:
                var finished = Pick(activeSessions);
                Extend(finished.Sequence, RandomTokens(random.Next(blockSize + 2)));
                activeSessions.Remove(finished);
                store.MarkIdle(finished);
                break;
            case 10:
                Evict();
                break;
            case 11:
                clock.Advance(TimeSpan.FromSeconds(random.Next(1, 120)));
                break;
            case 12 when running.Count > 6:
                // Keeps the pool from staying saturated for ever.
                var oldest = running[0];
                running.RemoveAt(0);
                oldest.ReleaseAll();
                break;
        }
    }

    private void StartRunningSequence()
    {
        var prompt = RandomPrompt();
        var sequence = new KvSequence(allocator, index, blockSize, Pick(Tenants));
        var reused = AttachCounting(sequence, prompt);
        Assert.Equal(0, reused % blockSize);
        Assert.True(reused <= prompt.Count - 1);
        Assert.Equal(prompt.Take(reused), sequence.Tokens);
        tokensReused += reused;
        running.Add(sequence);
        Extend(sequence, prompt.Skip(reused).ToList());
    }

    private void SessionTurn()
    {
        var session = store.GetOrCreate(new(Pick(Tenants), $"s{random.Next(5)}"));
        if (session.Active)
        {
            Assert.Throws<SessionBusyException>(() => store.Remove(session.Key));
            return;
        }
        var sequence = session.Sequence;
        IReadOnlyList<int> prompt = random.Next(2) == 0
            ? [.. sequence.Tokens.Take(random.Next(sequence.Length + 1)), .. RandomTokens(random.Next(6))]
            : RandomPrompt();
        if (prompt.Count == 0)
        {
            prompt = RandomTokens(1);
        }
        if (sequence.Length == 0)
        {
            tokensReused += AttachCounting(sequence, prompt);
        }
        else
        {
            // The engine needs at least one token to compute, even when everything is cached.
            sequence.TruncateTo(Math.Min(sequence.CommonPrefixLength(prompt), prompt.Count - 1));
        }
        store.MarkActive(session);
        Extend(sequence, prompt.Skip(sequence.Length).ToList());
        if (random.Next(2) == 0)
        {
            activeSessions.Add(session);
        }
        else
        {
            store.MarkIdle(session);
        }
    }

    private void Evict()
    {
        var idle = store.Sessions.Where(s => !s.Active).ToList();
        switch (random.Next(3))
        {
            case 0:
                var freeable = idle.ToDictionary(s => s.Key, store.FreeableBlocks);
                if (store.TryEvictLeastRecentlyUsed(out var evictedId, out var freed))
                {
                    var evicted = idle.Single(s => s.Key == evictedId);
                    Assert.Equal(idle.Min(s => s.LastUsed), evicted.LastUsed);
                    Assert.Equal(freeable[evictedId.Value], freed);
                    evictions++;
                }
                else
                {
                    Assert.Empty(idle);
                }
                break;
            case 1:
                var maxIdle = TimeSpan.FromSeconds(random.Next(600));
                var expected = idle.Count(s => clock.GetUtcNow() - s.LastUsed > maxIdle);
                var count = store.EvictIdleOlderThan(maxIdle);
                Assert.Equal(expected, count);
                evictions += count;
                break;
            default:
                if (idle.Count > 0)
                {
                    Assert.True(store.Remove(Pick(idle).Key));
                }
                break;
        }
        Assert.All(activeSessions, s => Assert.True(store.TryGet(s.Key, out _)));
    }

    private void Extend(KvSequence sequence, IReadOnlyList<int> tokens)
    {
        var blocksBefore = sequence.Blocks.ToArray();
        var lengthBefore = sequence.Length;
        var freeBefore = allocator.FreeBlocks;
        var predicted = sequence.BlocksNeededFor(tokens.Count);
        var writesIntoShared = sequence.Length % blockSize != 0
            && sequence.Blocks.Count > sequence.Length / blockSize
            && allocator.RefCount(sequence.Blocks[sequence.Length / blockSize]) > 1;
        if (!pool.TryExtend(sequence, tokens))
        {
            reserveFailures++;
            Assert.Equal(blocksBefore, sequence.Blocks);
            Assert.Equal(lengthBefore, sequence.Length);
            Assert.Equal(freeBefore, allocator.FreeBlocks);
            Assert.True(predicted > freeBefore);
            return;
        }
        if (writesIntoShared && tokens.Count > 0)
        {
            copiesSeen++;
        }
        Assert.True(freeBefore - allocator.FreeBlocks <= predicted);
    }

    private void CheckAll() =>
        KvCacheInvariantChecker.Check(allocator, index, pool, blockSize, AllSequences());

    private IEnumerable<KvSequence> AllSequences() => running.Concat(store.Sessions.Select(s => s.Sequence));

    private void ReleaseEverything()
    {
        foreach (var session in activeSessions)
        {
            store.MarkIdle(session);
        }
        activeSessions.Clear();
        foreach (var sequence in running)
        {
            sequence.ReleaseAll();
        }
        running.Clear();
        while (store.TryEvictLeastRecentlyUsed(out _))
        {
            evictions++;
        }
        CheckAll();
        Assert.Equal(allocator.TotalBlocks, allocator.FreeBlocks);
        Assert.Equal(0, allocator.UsedBlocks);
        Assert.Equal(allocator.CachedBlocks, index.Count);
        Assert.All(Enumerable.Range(0, allocator.TotalBlocks), block => Assert.Equal(0, allocator.RefCount(block)));
    }

    private int AttachCounting(KvSequence sequence, IReadOnlyList<int> prompt)
    {
        var cachedBefore = allocator.CachedBlocks;
        var reused = sequence.AttachSharedPrefix(prompt);
        cacheHits += cachedBefore - allocator.CachedBlocks;
        return reused;
    }

    private IReadOnlyList<int> RandomPrompt()
    {
        var source = Pick(corpus);
        var prompt = source.Take(random.Next(source.Length + 1)).Concat(RandomTokens(random.Next(8))).ToArray();
        return prompt.Length > 0 ? prompt : RandomTokens(1);
    }

    private int[] RandomTokens(int count) => Enumerable.Range(0, count).Select(_ => random.Next(Vocabulary)).ToArray();

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
