using System.Diagnostics.CodeAnalysis;
using GqaService.Inference.Engine;

namespace GqaService.Inference.KvCache;

/// <summary>
/// Session id → <see cref="Session"/>, with least-recently-used eviction of idle sessions.
/// Evicting or removing a session only drops its block references: blocks it shares with running sequences
/// (or other sessions) stay allocated, so the freed-block counts reported here are the blocks actually freed.
/// Not thread-safe: the single engine thread owns it.
/// </summary>
public sealed class SessionStore
{
    private readonly Dictionary<string, Session> sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider time;

    public SessionStore(BlockAllocator allocator, PrefixBlockIndex index, int blockSize, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentNullException.ThrowIfNull(time);
        Allocator = allocator;
        PrefixIndex = index;
        BlockSize = blockSize;
        this.time = time;
    }

    public BlockAllocator Allocator { get; }
    public PrefixBlockIndex PrefixIndex { get; }
    public int BlockSize { get; }
    public int Count => sessions.Count;
    public IReadOnlyCollection<Session> Sessions => sessions.Values;

    /// <summary>The existing session, or a new idle one with an empty sequence (LastUsed = now).</summary>
    public Session GetOrCreate(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (!sessions.TryGetValue(id, out var session))
        {
            session = new Session(id, new KvSequence(Allocator, PrefixIndex, BlockSize), time.GetUtcNow());
            sessions.Add(id, session);
        }
        return session;
    }

    public bool TryGet(string id, [NotNullWhen(true)] out Session? session) => sessions.TryGetValue(id, out session);

    public void MarkActive(Session session)
    {
        EnsureOwned(session);
        session.Active = true;
        session.LastUsed = time.GetUtcNow();
    }

    public void MarkIdle(Session session)
    {
        EnsureOwned(session);
        session.Active = false;
        session.LastUsed = time.GetUtcNow();
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
        foreach (var session in sessions.Values)
        {
            if (!session.Active && (oldest is null || session.LastUsed < oldest.LastUsed))
            {
                oldest = session;
            }
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

    /// <summary>Evicts every idle session unused for longer than <paramref name="maxIdle"/>; returns how many.</summary>
    public int EvictIdleOlderThan(TimeSpan maxIdle) => EvictIdleOlderThan(maxIdle, out _);

    public int EvictIdleOlderThan(TimeSpan maxIdle, out int freedBlocks)
    {
        var now = time.GetUtcNow();
        var stale = sessions.Values.Where(s => !s.Active && now - s.LastUsed > maxIdle).ToList();
        freedBlocks = 0;
        foreach (var session in stale)
        {
            freedBlocks += Drop(session);
        }
        return stale.Count;
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
