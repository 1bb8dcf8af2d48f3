using System.Diagnostics.CodeAnalysis;
using GqaService.Inference.Engine;

namespace GqaService.Inference.KvCache;

/// <summary>
/// (tenant, session id) → <see cref="Session"/>, with least-recently-used eviction of idle sessions. Sessions are kept in the order
/// they were last used, so finding the eviction victim walks past busy sessions only, never the whole store.
/// Evicting or removing a session only drops its block references: blocks it shares with running sequences
/// (or other sessions) stay allocated, so the freed-block counts reported here are the blocks actually freed.
/// A session is found only under the tenant that created it: another tenant naming the same id finds nothing (and gets a
/// session of its own), so no caller can read, continue or remove another tenant's session.
/// Not thread-safe: the single engine thread owns it.
/// </summary>
public sealed class SessionStore
{
    private readonly Dictionary<SessionKey, Session> sessions = [];
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

    /// <summary>The existing session, or a new idle one with an empty sequence of the key's tenant (LastUsed = now).</summary>
    public Session GetOrCreate(SessionKey key)
    {
        ArgumentNullException.ThrowIfNull(key.Tenant);
        ArgumentException.ThrowIfNullOrEmpty(key.Id);
        if (!sessions.TryGetValue(key, out var session))
        {
            session = new Session(key, new KvSequence(Allocator, PrefixIndex, BlockSize, key.Tenant), time.GetUtcNow(), leases);
            sessions.Add(key, session);
            session.RecencyNode = leastRecentFirst.AddLast(session);
        }
        return session;
    }

    public bool TryGet(SessionKey key, [NotNullWhen(true)] out Session? session) => sessions.TryGetValue(key, out session);

    /// <summary>Takes the session's lease (a no-op when already held) and marks it used now.</summary>
    public void MarkActive(Session session)
    {
        EnsureOwned(session);
        leases.TryAcquire(session.Key);
        Touch(session);
    }

    /// <summary>Gives the session's lease back and marks it used now.</summary>
    public void MarkIdle(Session session)
    {
        EnsureOwned(session);
        leases.Release(session.Key);
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
    public bool Remove(SessionKey key) => Remove(key, out _);

    public bool Remove(SessionKey key, out int freedBlocks)
    {
        freedBlocks = 0;
        if (!sessions.TryGetValue(key, out var session))
        {
            return false;
        }
        if (session.Active)
        {
            throw new SessionBusyException(key.Id);
        }
        freedBlocks = Drop(session);
        return true;
    }

    /// <summary>Evicts the idle session with the oldest LastUsed; never an active one; false when none is idle.</summary>
    public bool TryEvictLeastRecentlyUsed([NotNullWhen(true)] out SessionKey? evicted) => TryEvictLeastRecentlyUsed(out evicted, out _);

    public bool TryEvictLeastRecentlyUsed([NotNullWhen(true)] out SessionKey? evicted, out int freedBlocks)
    {
        Session? oldest = null;
        for (var node = leastRecentFirst.First; node is not null && oldest is null; node = node.Next)
        {
            SessionsVisited++;
            oldest = node.Value.Active ? null : node.Value;
        }
        if (oldest is null)
        {
            evicted = null;
            freedBlocks = 0;
            return false;
        }
        evicted = oldest.Key;
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

    /// <summary>Every tenant's sessions ordered by tenant and id (callers show a tenant only its own); Blocks counts the blocks each references (shared ones in every session).</summary>
    public IReadOnlyList<SessionInfo> List(long bytesPerBlock) =>
        sessions.Values
            .OrderBy(s => s.Tenant, StringComparer.Ordinal).ThenBy(s => s.Id, StringComparer.Ordinal)
            .Select(s => new SessionInfo(
                s.Id,
                s.Sequence.Length,
                s.Sequence.ReservedBlocks,
                s.Sequence.ReservedBlocks * bytesPerBlock,
                s.LastUsed,
                s.Active,
                s.Tenant))
            .ToList();

    private int Drop(Session session)
    {
        sessions.Remove(session.Key);
        leastRecentFirst.Remove(session.RecencyNode!);
        session.RecencyNode = null;
        return session.Sequence.ReleaseAll();
    }

    private void EnsureOwned(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!sessions.TryGetValue(session.Key, out var owned) || !ReferenceEquals(owned, session))
        {
            throw new InvalidOperationException($"Session '{session.Id}' of tenant '{session.Tenant}' is not (or no longer) in this store.");
        }
    }
}
