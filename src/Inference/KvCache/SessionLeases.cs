using System.Collections.Concurrent;

namespace GqaService.Inference.KvCache;

/// <summary>
/// The one record of which sessions are busy: a session is busy from the moment a request for it is accepted (on the
/// caller's thread, so a second concurrent request gets its 409 at once) until that request's final event is queued for
/// delivery. <see cref="Session.Active"/> reads it; eviction and removal skip busy sessions. Thread-safe.
/// </summary>
public sealed class SessionLeases
{
    private readonly ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal);

    /// <summary>Takes the session; false when a request already holds it.</summary>
    public bool TryAcquire(string sessionId) => _held.TryAdd(sessionId, 0);

    public void Release(string sessionId) => _held.TryRemove(sessionId, out _);

    public bool IsHeld(string sessionId) => _held.ContainsKey(sessionId);
}
