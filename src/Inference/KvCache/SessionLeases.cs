using System.Collections.Concurrent;

namespace GqaService.Inference.KvCache;

/// <summary>
/// The one record of which sessions are busy: a session is busy from the moment a request for it is accepted (on the
/// caller's thread, so a second concurrent request gets its 409 at once) until that request's final event is queued for
/// delivery. Keyed by tenant and id, so one tenant's busy session says nothing about another's. <see cref="Session.Active"/> reads it; eviction and removal skip busy sessions. Thread-safe.
/// </summary>
public sealed class SessionLeases
{
    private readonly ConcurrentDictionary<SessionKey, byte> _held = new();

    /// <summary>Takes the session; false when a request already holds it.</summary>
    public bool TryAcquire(SessionKey session) => _held.TryAdd(session, 0);

    public void Release(SessionKey session) => _held.TryRemove(session, out _);

    public bool IsHeld(SessionKey session) => _held.ContainsKey(session);
}
