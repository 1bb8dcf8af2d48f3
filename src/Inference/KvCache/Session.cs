namespace GqaService.Inference.KvCache;

/// <summary>
/// A conversation whose tokens and KV blocks outlive single requests. Mutated only through its
/// <see cref="SessionStore"/> (and the engine, via <see cref="Sequence"/>).
/// Not thread-safe: the single engine thread owns it.
/// </summary>
public sealed class Session
{
    internal Session(string id, KvSequence sequence, DateTimeOffset lastUsed)
    {
        Id = id;
        Sequence = sequence;
        LastUsed = lastUsed;
    }

    public string Id { get; }

    /// <summary>Empty once the session has been removed or evicted.</summary>
    public KvSequence Sequence { get; }

    public DateTimeOffset LastUsed { get; internal set; }

    /// <summary>A request of this session is running; active sessions are never evicted or removed.</summary>
    public bool Active { get; internal set; }
}
