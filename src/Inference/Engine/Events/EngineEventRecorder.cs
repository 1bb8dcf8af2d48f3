using GqaService.Inference.KvCache;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine.Events;

/// <summary>
/// Turns what the engine thread does into <see cref="EngineEvents"/>. Request events (queued, rejected, preempted,
/// finished) are told to it as they happen; block, session and admission events come from comparing the pool's ownership
/// and the running set at each publish with the previous one, so the allocator and the session store need no hooks and a
/// step's block changes go out batched, one event per owner. A block freed and taken again by another owner within one
/// step reads as freed by the first and allocated to the second. Engine thread only.
/// </summary>
internal sealed class EngineEventRecorder
{
    private static readonly TimeSpan MapInterval = TimeSpan.FromMilliseconds(250);
    private static readonly BlockOwner Unattributed = new("pool", "unattributed");

    private readonly EngineEvents _hub;
    private readonly Scheduler _scheduler;
    private readonly SessionStore _sessions;
    private readonly BlockAllocator _allocator;
    private readonly int _blockSize;
    private readonly long _bytesPerBlock;
    private readonly TimeProvider _time;
    private BlockOwner?[] _owners;
    private BlockOwner?[] _previousOwners;
    private int[] _refCounts;
    private int[] _previousRefCounts;
    private readonly int[] _positions;
    private readonly int[] _tokens;
    private readonly Dictionary<BlockOwner, (string? RequestId, int Tokens, int Blocks)> _ownerDetails = [];
    private readonly Dictionary<string, (Session Session, int Blocks)> _knownSessions = [];
    private readonly HashSet<string> _deletedSessions = [];
    private readonly HashSet<Sequence> _running = [];
    private readonly HashSet<Sequence> _runningNow = [];
    private long _lastMapTimestamp;
    private bool _mapPublished;
    private long _tokensSampled;
    private long _preemptions;

    public EngineEventRecorder(EngineEvents hub, Scheduler scheduler, SessionStore sessions, long bytesPerBlock, TimeProvider time)
    {
        (_hub, _scheduler, _sessions, _bytesPerBlock, _time) = (hub, scheduler, sessions, bytesPerBlock, time);
        _allocator = sessions.Allocator;
        _blockSize = sessions.BlockSize;
        var total = _allocator.TotalBlocks;
        (_owners, _previousOwners) = (new BlockOwner?[total], new BlockOwner?[total]);
        (_refCounts, _previousRefCounts) = (new int[total], new int[total]);
        (_positions, _tokens) = (new int[total], new int[total]);
    }

    public void OnQueued(Sequence sequence)
    {
        var request = sequence.Request;
        _hub.Publish(new EngineEvent
        {
            Kind = EngineEventKind.Queued,
            RequestId = request.RequestId,
            SessionId = request.SessionId,
            PredictedBlocks = sequence.Kv?.BlocksNeededFor(sequence.PendingCount + request.MaxTokens),
        });
        if (sequence.CachedPromptTokens > 0)
        {
            _hub.Publish(new EngineEvent
            {
                Kind = EngineEventKind.PrefixReused,
                RequestId = request.RequestId,
                SessionId = request.SessionId,
                Tokens = sequence.CachedPromptTokens,
                Reason = sequence.Session is not null && sequence.Kv == sequence.Session.Sequence ? "session" : "shared_prefix",
            });
        }
    }

    public void OnRejected(Sequence sequence, string code) => _hub.Publish(new EngineEvent
    {
        Kind = EngineEventKind.Rejected,
        RequestId = sequence.Request.RequestId,
        SessionId = sequence.Request.SessionId,
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
            SessionId = sequence.Request.SessionId,
            BlocksReleased = sequence.LastPreemptionBlocks,
            Tokens = sequence.LastPreemptionTokens,
        });
    }

    public void OnFinished(Sequence sequence, string reason, GenerationUsage usage) => _hub.Publish(new EngineEvent
    {
        Kind = EngineEventKind.Finished,
        RequestId = sequence.Request.RequestId,
        SessionId = sequence.Request.SessionId,
        Reason = reason,
        Receipt = usage,
    });

    /// <summary>The next comparison reports this session's disappearance as a deletion, not an eviction.</summary>
    public void OnSessionDeleted(string sessionId) => _deletedSessions.Add(sessionId);

    public void OnStep(int sampledTokens) => _tokensSampled += sampledTokens;

    /// <summary>Compares sessions, the running set and block ownership with the last call and publishes what changed.</summary>
    public void Observe()
    {
        var changed = DiffSessions();
        DiffRunning();
        changed |= DiffBlocks();
        var due = !_mapPublished || _time.GetElapsedTime(_lastMapTimestamp) >= MapInterval;
        if (changed || due)
        {
            _hub.PublishBlockMap(BuildMap());
        }
        if (due)
        {
            _lastMapTimestamp = _time.GetTimestamp();
            _mapPublished = true;
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
        foreach (var session in _sessions.Sessions)
        {
            if (!_knownSessions.TryGetValue(session.Id, out var known) || !ReferenceEquals(known.Session, session))
            {
                changed = true;
                _hub.Publish(new EngineEvent { Kind = EngineEventKind.SessionCreated, SessionId = session.Id });
            }
        }
        foreach (var (id, known) in _knownSessions.ToList())
        {
            if (_sessions.TryGet(id, out var current) && ReferenceEquals(current, known.Session))
            {
                _knownSessions[id] = (current, current.Sequence.ReservedBlocks);
                continue;
            }
            changed = true;
            _knownSessions.Remove(id);
            _hub.Publish(new EngineEvent
            {
                Kind = _deletedSessions.Remove(id) ? EngineEventKind.SessionDeleted : EngineEventKind.SessionEvicted,
                SessionId = id,
                BlocksReleased = known.Blocks,
            });
        }
        foreach (var session in _sessions.Sessions)
        {
            _knownSessions[session.Id] = (session, session.Sequence.ReservedBlocks);
        }
        _deletedSessions.Clear();
        return changed;
    }

    private void DiffRunning()
    {
        _runningNow.Clear();
        foreach (var sequence in _scheduler.Running)
        {
            _runningNow.Add(sequence);
            if (!_running.Contains(sequence))
            {
                _hub.Publish(new EngineEvent
                {
                    Kind = EngineEventKind.Admitted,
                    RequestId = sequence.Request.RequestId,
                    SessionId = sequence.Request.SessionId,
                    PredictedBlocks = sequence.Kv?.ReservedBlocks,
                });
            }
        }
        _running.Clear();
        _running.UnionWith(_runningNow);
    }

    private bool DiffBlocks()
    {
        AttributeBlocks();
        var freed = new SortedDictionary<int, (BlockOwner Owner, List<int> Blocks)>();
        var allocated = new Dictionary<BlockOwner, (List<int> Blocks, List<int> Positions)>();
        List<int>? sharedBlocks = null;
        List<int>? sharedCounts = null;
        for (var block = 0; block < _owners.Length; block++)
        {
            var before = _previousOwners[block];
            var now = _owners[block];
            if (before is not null && (now is null || !now.Equals(before)))
            {
                Add(freed, before, block);
            }
            if (now is not null && (before is null || !now.Equals(before)))
            {
                if (!allocated.TryGetValue(now, out var lists))
                {
                    allocated[now] = lists = ([], []);
                }
                lists.Blocks.Add(block);
                lists.Positions.Add(_positions[block]);
            }
            else if (now is not null && _refCounts[block] != _previousRefCounts[block])
            {
                (sharedBlocks ??= []).Add(block);
                (sharedCounts ??= []).Add(_refCounts[block]);
            }
        }
        foreach (var (owner, blocks) in freed.Values)
        {
            _hub.Publish(new EngineEvent { Kind = EngineEventKind.BlocksFreed, Owner = owner, SessionId = SessionOf(owner), Blocks = blocks });
        }
        foreach (var (owner, lists) in allocated)
        {
            _hub.Publish(new EngineEvent
            {
                Kind = EngineEventKind.BlocksAllocated,
                Owner = owner,
                SessionId = SessionOf(owner),
                RequestId = _ownerDetails.TryGetValue(owner, out var details) ? details.RequestId : null,
                Blocks = lists.Blocks,
                Values = lists.Positions,
            });
        }
        if (sharedBlocks is not null)
        {
            _hub.Publish(new EngineEvent { Kind = EngineEventKind.BlocksShared, Blocks = sharedBlocks, Values = sharedCounts });
        }
        (_owners, _previousOwners) = (_previousOwners, _owners);
        (_refCounts, _previousRefCounts) = (_previousRefCounts, _refCounts);
        return freed.Count > 0 || allocated.Count > 0 || sharedBlocks is not null;

        static void Add(SortedDictionary<int, (BlockOwner, List<int>)> byFirstBlock, BlockOwner owner, int block)
        {
            // Keyed by the owner's first freed block so the events come out in block order without a second pass.
            foreach (var (_, entry) in byFirstBlock)
            {
                if (entry.Item1.Equals(owner))
                {
                    entry.Item2.Add(block);
                    return;
                }
            }
            byFirstBlock[block] = (owner, [block]);
        }
    }

    /// <summary>Fills the current owner, position, token and reference-count arrays: sessions first, then requests without one.</summary>
    private void AttributeBlocks()
    {
        Array.Clear(_owners);
        _ownerDetails.Clear();
        var requestOfSession = new Dictionary<Session, string>(ReferenceEqualityComparer.Instance);
        foreach (var sequence in _scheduler.Running.Concat(_scheduler.Waiting))
        {
            if (sequence.Session is { } session)
            {
                requestOfSession[session] = sequence.Request.RequestId;
            }
        }
        foreach (var session in _sessions.Sessions)
        {
            Attribute(new BlockOwner(BlockOwner.SessionKind, session.Id), session.Sequence, requestOfSession.GetValueOrDefault(session));
        }
        foreach (var sequence in _scheduler.Running.Concat(_scheduler.Waiting))
        {
            if (sequence.Kv is { } kv && (sequence.Session is null || !ReferenceEquals(kv, sequence.Session.Sequence)))
            {
                Attribute(new BlockOwner(BlockOwner.RequestKind, sequence.Request.RequestId), kv, sequence.Request.RequestId);
            }
        }
        for (var block = 0; block < _owners.Length; block++)
        {
            _refCounts[block] = _allocator.RefCount(block);
            if (_refCounts[block] == 0)
            {
                _owners[block] = null;
            }
            else if (_owners[block] is null)
            {
                _owners[block] = Unattributed;
                (_positions[block], _tokens[block]) = (0, 0);
            }
        }
    }

    private void Attribute(BlockOwner owner, KvSequence kv, string? requestId)
    {
        var blocks = kv.Blocks;
        _ownerDetails[owner] = (requestId, kv.Length, blocks.Count);
        for (var logical = 0; logical < blocks.Count; logical++)
        {
            var block = blocks[logical];
            if (_owners[block] is null)
            {
                _owners[block] = owner;
                _positions[block] = logical;
                _tokens[block] = Math.Clamp(kv.Length - logical * _blockSize, 0, _blockSize);
            }
        }
    }

    private BlockMap BuildMap()
    {
        // Built from the arrays just swapped into "previous": they are the current state now.
        var owners = new List<BlockMapOwner>();
        var index = new Dictionary<BlockOwner, int>();
        var ownerOf = new int[_previousOwners.Length];
        for (var block = 0; block < ownerOf.Length; block++)
        {
            if (_previousOwners[block] is not { } owner)
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
            RefCounts = [.. _previousRefCounts],
            Positions = [.. _positions],
            Tokens = [.. _tokens],
        };
    }

    private static string? SessionOf(BlockOwner owner) => owner.Kind == BlockOwner.SessionKind ? owner.Id : null;
}
