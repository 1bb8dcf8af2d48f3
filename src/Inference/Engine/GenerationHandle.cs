using System.Threading.Channels;

namespace GqaService.Inference.Engine;

/// <summary>
/// An admitted request: read its events; dispose or cancel to abort it (its KV blocks are released within one engine step).
/// A request with n &gt; 1 choices is this handle (choice 0) plus <see cref="OtherChoices"/>, each with its own events;
/// cancelling this handle cancels every choice, cancelling another choice cancels that one alone.
/// </summary>
public sealed class GenerationHandle(string requestId, ChannelReader<GenerationEvent> events, Action cancel,
    IReadOnlyList<GenerationHandle>? otherChoices = null) : IDisposable
{
    private int _cancelled;

    public string RequestId { get; } = requestId;
    public ChannelReader<GenerationEvent> Events { get; } = events;

    /// <summary>Choices 1..n-1 of the request, in order (empty for n = 1).</summary>
    public IReadOnlyList<GenerationHandle> OtherChoices { get; } = otherChoices ?? [];

    /// <summary>Every choice, this one first.</summary>
    public IReadOnlyList<GenerationHandle> Choices => [this, .. OtherChoices];

    public void Cancel()
    {
        if (Interlocked.Exchange(ref _cancelled, 1) == 0)
        {
            cancel();
        }
        foreach (var choice in OtherChoices)
        {
            choice.Cancel();
        }
    }

    /// <summary>Cancels the request unless it already finished (cancelling a finished request is a no-op).</summary>
    public void Dispose() => Cancel();
}
