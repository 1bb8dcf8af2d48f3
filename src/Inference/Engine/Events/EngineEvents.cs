using System.Diagnostics.Metrics;

namespace GqaService.Inference.Engine.Events;

/// <summary>
/// The engine's event hub: the engine thread publishes, each subscriber reads its own bounded queue. Publishing takes no
/// lock and never waits: it writes to a copy-on-write array of subscribers, and a full queue drops (counted per subscriber
/// and in <c>gqa.engine.events_dropped</c>). Every published event is counted by kind (<c>gqa.engine.events</c>) and every
/// block in a block event (<c>gqa.engine.kv_block_allocations</c>, <c>gqa.engine.kv_block_releases</c>), whether anyone
/// listens or not, so a reader that lost nothing can check its counts against <c>/metrics</c>. Thread-safe.
/// </summary>
public sealed class EngineEvents : IDisposable
{
    public const int DefaultCapacity = 4096;

    private readonly Lock _subscribersGate = new();
    private readonly TimeProvider _time;
    private readonly Meter _meter = new(EngineMetrics.MeterName);
    private readonly Counter<long> _events;
    private readonly Counter<long> _blockAllocations;
    private readonly Counter<long> _blockReleases;
    private volatile EngineEventSubscription[] _subscribers = [];
    private volatile BlockMap _blockMap = BlockMap.Empty;
    private long _sequence;
    private long _droppedByGone;

    public EngineEvents(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _events = _meter.CreateCounter<long>("gqa.engine.events", "{event}", "Engine events published, by kind");
        _blockAllocations = _meter.CreateCounter<long>("gqa.engine.kv_block_allocations", "{block}", "Blocks named by blocks_allocated events");
        _blockReleases = _meter.CreateCounter<long>("gqa.engine.kv_block_releases", "{block}", "Blocks named by blocks_freed events");
        _meter.CreateObservableCounter("gqa.engine.events_dropped", () => DroppedTotal, "{event}", "Events subscribers lost by reading too slowly");
        _meter.CreateObservableGauge("gqa.engine.event_subscribers", () => _subscribers.Length, "{subscriber}", "Readers of /v1/events");
    }

    public TimeProvider Time => _time;

    /// <summary>The sequence number of the last event published (0 before the first).</summary>
    public long LastSequence => Interlocked.Read(ref _sequence);

    /// <summary>Events lost by subscribers still subscribed plus those gone.</summary>
    public long DroppedTotal => Interlocked.Read(ref _droppedByGone) + _subscribers.Sum(s => s.DroppedTotal);

    /// <summary>Who owns each block, as of <see cref="BlockMap.Sequence"/>; published by the engine thread with the events.</summary>
    public BlockMap BlockMap => _blockMap;

    public EngineEventSubscription Subscribe(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var subscription = new EngineEventSubscription(capacity, _time, Unsubscribe);
        lock (_subscribersGate)
        {
            _subscribers = [.. _subscribers, subscription];
        }
        return subscription;
    }

    /// <summary>Numbers the event, counts it and offers it to every subscriber; never blocks.</summary>
    public void Publish(EngineEvent engineEvent)
    {
        var numbered = engineEvent with
        {
            Sequence = Interlocked.Increment(ref _sequence),
            Time = engineEvent.Time == default ? _time.GetUtcNow() : engineEvent.Time,
        };
        _events.Add(1, new KeyValuePair<string, object?>("kind", numbered.Kind));
        switch (numbered.Kind)
        {
            case EngineEventKind.BlocksAllocated:
                _blockAllocations.Add(numbered.Blocks?.Count ?? 0);
                break;
            case EngineEventKind.BlocksFreed:
                _blockReleases.Add(numbered.Blocks?.Count ?? 0);
                break;
        }
        foreach (var subscriber in _subscribers)
        {
            subscriber.Offer(numbered);
        }
    }

    internal void PublishBlockMap(BlockMap map) => _blockMap = map with { Sequence = LastSequence };

    private void Unsubscribe(EngineEventSubscription subscription)
    {
        lock (_subscribersGate)
        {
            if (Array.IndexOf(_subscribers, subscription) < 0)
            {
                return;
            }
            _subscribers = [.. _subscribers.Where(s => s != subscription)];
            Interlocked.Add(ref _droppedByGone, subscription.DroppedTotal);
        }
    }

    public void Dispose()
    {
        lock (_subscribersGate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Complete();
            }
        }
        _meter.Dispose();
    }
}
