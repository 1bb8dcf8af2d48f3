using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace GqaService.Inference.Engine.Events;

/// <summary>
/// One reader's bounded queue of engine events. A full queue drops the newest event (the writer never waits); the reader
/// is told how many it lost by a <see cref="EngineEventKind.Dropped"/> event placed after the ones it still had. Disposing
/// it unsubscribes. One reader at a time.
/// </summary>
public sealed class EngineEventSubscription : IDisposable
{
    private readonly Channel<EngineEvent> _queue;
    private readonly Action<EngineEventSubscription> _unsubscribe;
    private readonly TimeProvider _time;
    private long _unreportedDrops;
    private long _droppedTotal;

    internal EngineEventSubscription(int capacity, TimeProvider time, Action<EngineEventSubscription> unsubscribe)
    {
        _time = time;
        _unsubscribe = unsubscribe;
        _queue = Channel.CreateBounded<EngineEvent>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => { Interlocked.Increment(ref _unreportedDrops); Interlocked.Increment(ref _droppedTotal); });
    }

    /// <summary>Events this subscriber lost, over its life.</summary>
    public long DroppedTotal => Interlocked.Read(ref _droppedTotal);

    internal void Offer(EngineEvent engineEvent) => _queue.Writer.TryWrite(engineEvent);

    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>Every event from now on, with a <c>dropped</c> notice wherever some were lost; ends when cancelled or the hub closes.</summary>
    public async IAsyncEnumerable<EngineEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = _queue.Reader;
        while (true)
        {
            while (reader.TryRead(out var engineEvent))
            {
                yield return engineEvent;
            }
            // The queue is empty: what was dropped came after everything read so far and before anything still to come.
            var dropped = Interlocked.Exchange(ref _unreportedDrops, 0);
            if (dropped > 0)
            {
                yield return new EngineEvent { Kind = EngineEventKind.Dropped, Count = dropped, Time = _time.GetUtcNow() };
                continue;
            }
            if (!await reader.WaitToReadAsync(cancellationToken))
            {
                yield break;
            }
        }
    }

    public void Dispose()
    {
        _unsubscribe(this);
        Complete();
    }
}
