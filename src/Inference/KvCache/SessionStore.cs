using System.Diagnostics.CodeAnalysis;
using GqaService.Inference.Engine;

namespace GqaService.Inference.KvCache;

/// <summary>
/// Session id → <see cref="Session"/>, with least-recently-used eviction of idle sessions. Sessions are kept in the order
/// they were last used, so finding the eviction victim walks past busy sessions only, never the whole store.
/// Evicting or removing a session only drops its block references: blocks it shares with running sequences
/// (or other sessions) stay allocated, so the freed-block counts reported here are the blocks actually freed.
/// Not thread-safe: the single engine thread owns it.
/// </summary>
public sealed class SessionStore
{
    private readonly Dictionary<string, Session> sessions = new(StringComparer.Ordinal);
    private readonly LinkedList<Session> leastRecentFirst = new();
    private readonly TimeProvider time;
    private readonly SessionLeases leases;

    public SessionStore(BlockAllocator allocator, PrefixBlockIndex index, int blockSize, TimeProvider time, SessionLeases? leases = null)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentNullException.ThrowIfNull(time);
        Allocator = allocator;
        PrefixIndex = index;
        BlockSize = blockSize;
        this.time = time;
        this.leases = leases ?? new SessionLeases();
    }

    public BlockAllocator Allocator { get; }
    public PrefixBlockIndex PrefixIndex { get; }
    public int BlockSize { get; }
    public int Count => sessions.Count;
    public IReadOnlyCollection<Session> Sessions => sessions.Values;

    /// <summary>Sessions looked at by eviction so far: what makes eviction's cost visible to tests.</summary>
    internal long SessionsVisited { get; private set; }

    /// <summary>The existing session, or a new idle one with an empty sequence of <paramref name="tenant"/> (LastUsed = now).</summary>
    public Session GetOrCreate(string id, string tenant = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (!sessions.TryGetValue(id, out var session))
        {
            session = new Session(id, new KvSequence(Allocator, PrefixIndex, BlockSize, tenant), time.GetUtcNow(), leases);
            sessions.Add(id, session);
            session.RecencyNode = leastRecentFirst.AddLast(session);
        }
        return session;
    }

    public bool TryGet(string id, [NotNullWhen(true)] out Session? session) => sessions.TryGetValue(id, out session);

    /// <summary>Takes the session's lease (a no-op when already held) and marks it used now.</summary>
    public void MarkActive(Session session)
    {
        EnsureOwned(session);
        leases.TryAcquire(session.Id);
        Touch(session);
    }

    /// <summary>Gives the session's lease back and marks it used now.</summary>
    public void MarkIdle(Session session)
    {
        EnsureOwned(session);
        leases.Release(session.Id);
        Touch(session);
    }

    /// <summary>Marks the session used now: it becomes the last to be evicted.</summary>
    public void Touch(Session session)
    {
        EnsureOwned(session);
        session.MarkUsed(time.GetUtcNow());
        leastRecentFirst.Remove(session.RecencyNode!);
        leastRecentFirst.AddLast(session.RecencyNode!);
    }

    /// <summary>Drops the session and its block references; false when unknown; <see cref="SessionBusyException"/> when active.</summary>
    public bool Remove(string id) => Remove(id, out _);

    public bool Remove(string id, out int freedBlocks)
    {
        freedBlocks = 0;
        if (!sessions.TryGetValue(id, out var session))
        {
            return false;
        }
        if (session.Active)
        {
            throw new SessionBusyException(id);
        }
        freedBlocks = Drop(session);
        return true;
    }

    /// <summary>Evicts the idle session with the oldest LastUsed; never an active one; false when none is idle.</summary>
    public bool TryEvictLeastRecentlyUsed([NotNullWhen(true)] out string? evictedId) => TryEvictLeastRecentlyUsed(out evictedId, out _);

    public bool TryEvictLeastRecentlyUsed([NotNullWhen(true)] out string? evictedId, out int freedBlocks)
    {
        Session? oldest = null;
        for (var node = leastRecentFirst.First; node is not null && oldest is null; node = node.Next)
        {
            SessionsVisited++;
            oldest = node.Value.Active ? null : node.Value;
        }
        if (oldest is null)
        {
            evictedId = null;
            freedBlocks = 0;
            return false;
        }
        evictedId = oldest.Id;
        freedBlocks = Drop(oldest);
        return true;
    }

    /// <summary>
    /// Reserves room for <paramref name="tokens"/> more tokens in <paramref name="sequence"/>, evicting idle sessions least
    /// recently used first until it fits; false when it does not fit with every idle session gone.
    /// <paramref name="evictedBlocks"/> counts the blocks the evictions freed.
    /// </summary>
    public bool TryReserveEvictingIdle(KvSequence sequence, int tokens, List<BlockCopy> copies, out int evictedBlocks)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        evictedBlocks = 0;
        while (!sequence.TryReserve(tokens, copies))
        {
            if (!TryEvictLeastRecentlyUsed(out _, out var freed))
            {
                return false;
            }
            evictedBlocks += freed;
        }
        return true;
    }

    /// <summary>Evicts every idle session unused for longer than <paramref name="maxIdle"/>; returns how many.</summary>
    public int EvictIdleOlderThan(TimeSpan maxIdle) => EvictIdleOlderThan(maxIdle, out _);

    public int EvictIdleOlderThan(TimeSpan maxIdle, out int freedBlocks)
    {
        var now = time.GetUtcNow();
        var evicted = 0;
        freedBlocks = 0;
        // Oldest first: the walk ends at the first idle session that is recent enough (busy ones are stepped over).
        for (var node = leastRecentFirst.First; node is not null;)
        {
            SessionsVisited++;
            var session = node.Value;
            node = node.Next;
            if (session.Active)
            {
                continue;
            }
            if (now - session.LastUsed <= maxIdle)
            {
                break;
            }
            freedBlocks += Drop(session);
            evicted++;
        }
        return evicted;
    }

    /// <summary>Blocks that evicting every idle session would free now.</summary>
    public int EvictableBlocks()
    {
        var total = 0;
        foreach (var session in leastRecentFirst)
        {
            total += session.Active ? 0 : FreeableBlocks(session);
        }
        return total;
    }

    /// <summary>Blocks evicting <paramref name="session"/> would free now: those only it references (refCount 1).</summary>
    public int FreeableBlocks(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.Sequence.Blocks.Count(block => Allocator.RefCount(block) == 1);
    }

    /// <summary>Sessions ordered by id; Blocks counts the blocks each references (shared ones in every session).</summary>
    public IReadOnlyList<SessionInfo> List(long bytesPerBlock) =>
        sessions.Values
            .OrderBy(s => s.Id, StringComparer.Ordinal)
            .Select(s => new SessionInfo(
                s.Id,
                s.Sequence.Length,
                s.Sequence.ReservedBlocks,
                s.Sequence.ReservedBlocks * bytesPerBlock,
                s.LastUsed,
                s.Active))
            .ToList();

    private int Drop(Session session)
    {
        sessions.Remove(session.Id);
        leastRecentFirst.Remove(session.RecencyNode!);
        session.RecencyNode = null;
        return session.Sequence.ReleaseAll();
    }

    private void EnsureOwned(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!sessions.TryGetValue(session.Id, out var owned) || !ReferenceEquals(owned, session))
        {
            throw new InvalidOperationException($"Session '{session.Id}' is not (or no longer) in this store.");
        }
    }
}
