using GqaService.Inference.KvCache;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine.Events;

/// <summary>
/// Turns what the engine thread does into <see cref="EngineEvents"/>. Request events (queued, rejected, preempted,
/// finished) are told to it as they happen; block, session and admission events come from comparing the pool's ownership
/// and the running set at each publish with the previous one, so the allocator and the session store need no hooks and a
/// step's block changes go out batched, one event per owner. A block freed and taken again by another owner within one
/// step reads as freed by the first and allocated to the second. Only blocks some block table lists are followed (every
/// reference on this branch comes from one); a step costs the blocks in use, not the pool. Engine thread only.
/// </summary>
internal sealed class EngineEventRecorder
{
    private static readonly TimeSpan MapInterval = TimeSpan.FromMilliseconds(250);

    private readonly EngineEvents _hub;
    private readonly Scheduler _scheduler;
    private readonly SessionStore _sessions;
    private readonly BlockAllocator _allocator;
    private readonly int _blockSize;
    private readonly long _bytesPerBlock;
    private readonly TimeProvider _time;
    // Committed state (as of the last comparison) and this step's attribution, stamped so nothing needs clearing.
    private readonly BlockOwner?[] _owners;
    private readonly int[] _refCounts;
    private readonly BlockOwner?[] _nowOwners;
    private readonly long[] _stamp;
    private long _step;
    private List<int> _touched = [];
    private List<int> _previousTouched = [];
    private readonly int[] _positions;
    private readonly int[] _tokens;
    private readonly Dictionary<BlockOwner, (string? RequestId, int Tokens, int Blocks)> _ownerDetails = [];
    private readonly Dictionary<SessionKey, (Session Session, int Blocks)> _knownSessions = [];
    private readonly HashSet<SessionKey> _deletedSessions = [];
    private readonly List<(SessionKey Key, int Blocks)> _goneSessions = [];
    private readonly HashSet<Sequence> _running = [];
    private readonly HashSet<Sequence> _runningNow = [];
    private readonly Dictionary<Session, string> _requestOfSession = new(ReferenceEqualityComparer.Instance);
    // Owners are reused from step to step, so comparing a block's owner before and after is a reference comparison.
    private Dictionary<(string Kind, string Id), BlockOwner> _ownerCache = [];
    private Dictionary<(string Kind, string Id), BlockOwner> _previousOwnerCache = [];
    private bool _mapStale = true;
    private DateTimeOffset _lastMap;
    private bool _mapPublished;
    private long _comparedVersion = -1;
    private long _tokensSampled;
    private long _preemptions;

    public EngineEventRecorder(EngineEvents hub, Scheduler scheduler, SessionStore sessions, long bytesPerBlock, TimeProvider time)
    {
        (_hub, _scheduler, _sessions, _bytesPerBlock, _time) = (hub, scheduler, sessions, bytesPerBlock, time);
        _allocator = sessions.Allocator;
        _blockSize = sessions.BlockSize;
        var total = _allocator.TotalBlocks;
        (_owners, _nowOwners, _refCounts, _stamp) = (new BlockOwner?[total], new BlockOwner?[total], new int[total], new long[total]);
        (_positions, _tokens) = (new int[total], new int[total]);
    }

    public void OnQueued(Sequence sequence)
    {
        var request = sequence.Request;
        _hub.Publish(new EngineEvent
        {
            Kind = EngineEventKind.Queued,
            RequestId = request.RequestId,
            SessionId = SessionNameOf(request),
            PredictedBlocks = sequence.Kv?.BlocksNeededFor(sequence.PendingCount + request.MaxTokens),
        });
    }

    public void OnRejected(Sequence sequence, string code) => _hub.Publish(new EngineEvent
    {
        Kind = EngineEventKind.Rejected,
        RequestId = sequence.Request.RequestId,
        SessionId = SessionNameOf(sequence.Request),
        PredictedBlocks = (sequence.Tokens.Count + sequence.Request.MaxTokens + _blockSize - 1) / _blockSize,
        Reason = code,
    });

    public void OnPreempted(Sequence sequence)
    {
        _preemptions++;
        _hub.Publish(new EngineEvent
        {
            Kind = EngineEventKind.Preempted,
            RequestId = sequence.Request.RequestId,
            SessionId = SessionNameOf(sequence.Request),
            BlocksReleased = sequence.LastPreemptionBlocks,
            Tokens = sequence.LastPreemptionTokens,
        });
    }

    public void OnFinished(Sequence sequence, string reason, GenerationUsage usage) => _hub.Publish(new EngineEvent
    {
        Kind = EngineEventKind.Finished,
        RequestId = sequence.Request.RequestId,
        SessionId = SessionNameOf(sequence.Request),
        Reason = reason,
        Receipt = usage,
    });

    /// <summary>The next comparison reports this session's disappearance as a deletion, not an eviction.</summary>
    public void OnSessionDeleted(SessionKey session) => _deletedSessions.Add(session);

    public void OnStep(int sampledTokens) => _tokensSampled += sampledTokens;

    /// <summary>
    /// Compares sessions, the running set and block ownership with the last call and publishes what changed. The block map
    /// is rebuilt at most every 250 ms while work runs (it costs a pass over the pool plus copies), and at once when nothing runs or waits;
    /// a map is consistent with the stream whenever it was built, since it carries the sequence number it was built at.
    /// </summary>
    public void Observe()
    {
        var sessionsChanged = DiffSessions();
        _mapStale |= sessionsChanged;
        var runningChanged = DiffRunning();
        var now = _time.GetUtcNow();
        var due = !_mapPublished || now - _lastMap >= MapInterval;
        // Block ownership moves only through the allocator (allocate, share, release), a session appearing or going, or
        // the running set changing: when none of these happened since the last comparison it would find nothing, so it
        // is skipped (most decode steps: a sequence takes a new block once per block size). A due map still compares,
        // since the token counts it carries move with every token.
        if (sessionsChanged || runningChanged || due || _allocator.Version != _comparedVersion)
        {
            _mapStale |= DiffBlocks();
            _comparedVersion = _allocator.Version;
        }
        var idle = _scheduler.Running.Count == 0 && _scheduler.Waiting.Count == 0;
        if (_mapStale && (due || idle))
        {
            _hub.PublishBlockMap(BuildMap());
            _mapStale = false;
        }
        if (due)
        {
            _lastMap = now;
            _mapPublished = true;
            // Token counts per block move with every decoded token; the periodic map keeps them fresh.
            _mapStale = true;
            _hub.Publish(new EngineEvent
            {
                Kind = EngineEventKind.Stats,
                Stats = new EngineStats(_tokensSampled, _preemptions, _scheduler.Running.Count, _scheduler.Waiting.Count,
                    _allocator.UsedBlocks, _allocator.TotalBlocks, _allocator.UsedBlocks * _bytesPerBlock),
            });
        }
    }

    private bool DiffSessions()
    {
        var changed = false;
        _goneSessions.Clear();
        foreach (var (key, known) in _knownSessions)
        {
            if (!_sessions.TryGet(key, out var current) || !ReferenceEquals(current, known.Session))
            {
                _goneSessions.Add((key, known.Blocks));
            }
        }
        foreach (var (key, blocks) in _goneSessions)
        {
            changed = true;
            _knownSessions.Remove(key);
            _hub.Publish(new EngineEvent
            {
                Kind = _deletedSessions.Remove(key) ? EngineEventKind.SessionDeleted : EngineEventKind.SessionEvicted,
                SessionId = SessionName(key),
                BlocksReleased = blocks,
            });
        }
        foreach (var session in _sessions.Sessions)
        {
            if (!_knownSessions.ContainsKey(session.Key))
            {
                changed = true;
                _hub.Publish(new EngineEvent { Kind = EngineEventKind.SessionCreated, SessionId = SessionName(session.Key) });
            }
            // What it holds now is what an eviction or deletion before the next comparison releases.
            _knownSessions[session.Key] = (session, session.Sequence.ReservedBlocks);
        }
        _deletedSessions.Clear();
        return changed;
    }

    /// <summary>Publishes the admissions since the last call; true when the running set changed at all.</summary>
    private bool DiffRunning()
    {
        var changed = false;
        _runningNow.Clear();
        foreach (var sequence in _scheduler.Running)
        {
            _runningNow.Add(sequence);
            if (!_running.Contains(sequence))
            {
                changed = true;
                _hub.Publish(new EngineEvent
                {
                    Kind = EngineEventKind.Admitted,
                    RequestId = sequence.Request.RequestId,
                    SessionId = SessionNameOf(sequence.Request),
                    PredictedBlocks = sequence.Kv?.ReservedBlocks,
                });
                // Reuse is known once the scheduler starts the sequence (a session's blocks, or shared and cached prefix
                // blocks attached then); a preempted sequence coming back is not a new reuse.
                if (sequence.CachedPromptTokens > 0 && sequence.Preemptions == 0)
                {
                    _hub.Publish(new EngineEvent
                    {
                        Kind = EngineEventKind.PrefixReused,
                        RequestId = sequence.Request.RequestId,
                        SessionId = SessionNameOf(sequence.Request),
                        Tokens = sequence.CachedPromptTokens,
                        Reason = sequence.Session is not null && sequence.Kv == sequence.Session.Sequence ? "session" : "prefix_cache",
                    });
                }
            }
        }
        changed |= _running.Count != _runningNow.Count;
        _running.Clear();
        _running.UnionWith(_runningNow);
        return changed;
    }

    private bool DiffBlocks()
    {
        AttributeBlocks();
        List<(BlockOwner Owner, List<int> Blocks)>? freed = null;
        List<(BlockOwner Owner, List<int> Blocks, List<int> Positions)>? allocated = null;
        List<int>? sharedBlocks = null;
        List<int>? sharedCounts = null;
        foreach (var block in _previousTouched)
        {
            if (_stamp[block] != _step)
            {
                Entry(freed ??= [], _owners[block]!).Blocks.Add(block);
                (_owners[block], _refCounts[block]) = (null, 0);
            }
        }
        foreach (var block in _touched)
        {
            var before = _owners[block];
            var now = _nowOwners[block]!;
            var references = _allocator.RefCount(block);
            if (ReferenceEquals(before, now))
            {
                if (references != _refCounts[block])
                {
                    (sharedBlocks ??= []).Add(block);
                    (sharedCounts ??= []).Add(references);
                }
            }
            else
            {
                if (before is not null)
                {
                    Entry(freed ??= [], before).Blocks.Add(block);
                }
                allocated ??= [];
                var index = allocated.FindIndex(e => ReferenceEquals(e.Owner, now));
                if (index < 0)
                {
                    allocated.Add((now, [], []));
                    index = allocated.Count - 1;
                }
                allocated[index].Blocks.Add(block);
                allocated[index].Positions.Add(_positions[block]);
            }
            (_owners[block], _refCounts[block]) = (now, references);
        }
        (_touched, _previousTouched) = (_previousTouched, _touched);
        foreach (var (owner, blocks) in freed ?? [])
        {
            blocks.Sort();
            _hub.Publish(new EngineEvent { Kind = EngineEventKind.BlocksFreed, Owner = owner, SessionId = SessionOf(owner), Blocks = blocks });
        }
        foreach (var (owner, blocks, positions) in allocated ?? [])
        {
            _hub.Publish(new EngineEvent
            {
                Kind = EngineEventKind.BlocksAllocated,
                Owner = owner,
                SessionId = SessionOf(owner),
                RequestId = _ownerDetails.TryGetValue(owner, out var details) ? details.RequestId : null,
                Blocks = blocks,
                Values = positions,
            });
        }
        if (sharedBlocks is not null)
        {
            _hub.Publish(new EngineEvent { Kind = EngineEventKind.BlocksShared, Blocks = sharedBlocks, Values = sharedCounts });
        }
        return freed is not null || allocated is not null || sharedBlocks is not null;

        static (BlockOwner Owner, List<int> Blocks) Entry(List<(BlockOwner Owner, List<int> Blocks)> entries, BlockOwner owner)
        {
            foreach (var entry in entries)
            {
                if (ReferenceEquals(entry.Owner, owner))
                {
                    return entry;
                }
            }
            entries.Add((owner, []));
            return entries[^1];
        }
    }

    /// <summary>
    /// Stamps every block some block table lists with this step's owner (sessions first, then requests without one). Only
    /// listed blocks are visited, so a step costs what is in use, not the whole pool.
    /// </summary>
    private void AttributeBlocks()
    {
        _step++;
        _touched.Clear();
        _ownerDetails.Clear();
        (_ownerCache, _previousOwnerCache) = (_previousOwnerCache, _ownerCache);
        _ownerCache.Clear();
        _requestOfSession.Clear();
        foreach (var sequence in _scheduler.Running)
        {
            NoteSession(sequence);
        }
        foreach (var sequence in _scheduler.Waiting)
        {
            NoteSession(sequence);
        }
        foreach (var session in _sessions.Sessions)
        {
            Attribute(Owner(BlockOwner.SessionKind, SessionName(session.Key)), session.Sequence, _requestOfSession.GetValueOrDefault(session));
        }
        foreach (var sequence in _scheduler.Running)
        {
            AttributeRequest(sequence);
        }
        foreach (var sequence in _scheduler.Waiting)
        {
            AttributeRequest(sequence);
        }
    }

    private void NoteSession(Sequence sequence)
    {
        if (sequence.Session is { } session)
        {
            _requestOfSession[session] = sequence.Request.RequestId;
        }
    }

    private void AttributeRequest(Sequence sequence)
    {
        if (sequence.Kv is { } kv && (sequence.Session is null || !ReferenceEquals(kv, sequence.Session.Sequence)))
        {
            Attribute(Owner(BlockOwner.RequestKind, sequence.Request.RequestId), kv, sequence.Request.RequestId);
        }
    }

    private BlockOwner Owner(string kind, string id)
    {
        if (!_previousOwnerCache.TryGetValue((kind, id), out var owner))
        {
            owner = new BlockOwner(kind, id);
        }
        _ownerCache[(kind, id)] = owner;
        return owner;
    }

    private void Attribute(BlockOwner owner, KvSequence kv, string? requestId)
    {
        var blocks = kv.Blocks;
        _ownerDetails[owner] = (requestId, kv.Length, blocks.Count);
        for (var logical = 0; logical < blocks.Count; logical++)
        {
            var block = blocks[logical];
            if (_stamp[block] != _step)
            {
                _stamp[block] = _step;
                _touched.Add(block);
                _nowOwners[block] = owner;
                _positions[block] = logical;
                _tokens[block] = Math.Clamp(kv.Length - logical * _blockSize, 0, _blockSize);
            }
        }
    }

    private BlockMap BuildMap()
    {
        var owners = new List<BlockMapOwner>();
        var index = new Dictionary<BlockOwner, int>();
        var ownerOf = new int[_owners.Length];
        for (var block = 0; block < ownerOf.Length; block++)
        {
            if (_owners[block] is not { } owner)
            {
                ownerOf[block] = -1;
                continue;
            }
            if (!index.TryGetValue(owner, out var i))
            {
                var details = _ownerDetails.GetValueOrDefault(owner);
                index[owner] = i = owners.Count;
                owners.Add(new BlockMapOwner(owner.Kind, owner.Id, details.RequestId, details.Tokens, details.Blocks));
            }
            ownerOf[block] = i;
        }
        return new BlockMap
        {
            BlockSize = _blockSize,
            Owners = owners,
            OwnerOf = ownerOf,
            RefCounts = [.. _refCounts],
            Positions = [.. _positions],
            Tokens = [.. _tokens],
            CachedFree = [.. _allocator.CachedBlocksOldestFirst()],
        };
    }

    /// <summary>
    /// How a session is named in events and the block map: its id, prefixed by its tenant when API keys are on, so two
    /// tenants' sessions under one id stay two owners ('/' never occurs in an id).
    /// </summary>
    internal static string SessionName(SessionKey key) => key.Tenant.Length == 0 ? key.Id : $"{key.Tenant}/{key.Id}";

    private static string? SessionNameOf(GenerationRequest request) => request.Session is { } key ? SessionName(key) : null;

    private static string? SessionOf(BlockOwner owner) => owner.Kind == BlockOwner.SessionKind ? owner.Id : null;
}
