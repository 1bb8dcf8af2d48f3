namespace GqaService.Inference.KvCache;

/// <summary>
/// A conversation whose tokens and KV blocks outlive single requests. Mutated only through its
/// <see cref="SessionStore"/> (and the engine, via <see cref="Sequence"/>).
/// Not thread-safe: the single engine thread owns it.
/// </summary>
public sealed class Session
{
    private readonly SessionLeases _leases;

    internal Session(SessionKey key, KvSequence sequence, DateTimeOffset lastUsed, SessionLeases leases)
    {
        Key = key;
        Sequence = sequence;
        LastUsed = lastUsed;
        _leases = leases;
    }

    /// <summary>The tenant that created it and its id: only requests of that tenant reach it.</summary>
    public SessionKey Key { get; }

    public string Id => Key.Id;

    public string Tenant => Key.Tenant;

    /// <summary>Empty once the session has been removed or evicted.</summary>
    public KvSequence Sequence { get; }

    public DateTimeOffset LastUsed { get; private set; }

    internal void MarkUsed(DateTimeOffset now) => LastUsed = now;

    /// <summary>A request of this session is in flight (it holds the session's lease); active sessions are never evicted or removed.</summary>
    public bool Active => _leases.IsHeld(Key);

    /// <summary>Its place in the store's least-recently-used order.</summary>
    internal LinkedListNode<Session>? RecencyNode { get; set; }
}
