using System.Threading.Channels;

namespace GqaService.Inference.Engine;

/// <summary>An admitted request: read its events; dispose or cancel to abort it (its KV blocks are released within one engine step).</summary>
public sealed class GenerationHandle(string requestId, ChannelReader<GenerationEvent> events, Action cancel) : IDisposable
{
    private int _cancelled;

    public string RequestId { get; } = requestId;
    public ChannelReader<GenerationEvent> Events { get; } = events;

    public void Cancel()
    {
        if (Interlocked.Exchange(ref _cancelled, 1) == 0)
        {
            cancel();
        }
    }

    /// <summary>Cancels the request unless it already finished (cancelling a finished request is a no-op).</summary>
    public void Dispose() => Cancel();
}
