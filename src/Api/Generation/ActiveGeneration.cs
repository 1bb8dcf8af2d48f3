using System.Diagnostics;
using System.Threading.Channels;
using GqaService.Api.Contracts;
using GqaService.Api.Observability;
using GqaService.Inference.Engine;

namespace GqaService.Api.Generation;

/// <summary>
/// One admitted request seen from the HTTP side: reads the engine's events until the client aborts (deadlines are the
/// engine's: it ends a late request with a deadline_exceeded failure), measures TTFT and inter-token gaps, owns the "engine.queue"/"engine.generate" spans, and records the request's
/// metrics and log line exactly once. With n &gt; 1 the choices' events arrive merged, each tagged with its choice. Disposing
/// cancels every choice of the engine request (a no-op once it finished). Not thread-safe: one handler (or one stream
/// writer) drives it.
/// </summary>
internal sealed class ActiveGeneration : IDisposable
{
    private readonly GenerationHandle _handle;
    private readonly PreparedGeneration _prepared;
    private readonly string _endpoint;
    private readonly ApiTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationToken _clientAborted;
    private readonly CancellationTokenRegistration _abortRegistration;
    private readonly long _started;
    private readonly ActivityContext _parent;
    private readonly ChoiceProgress[] _choices;
    private readonly LogprobsRenderer _renderer;
    // n > 1: every choice's events, tagged, in the order the engine wrote them (one pump per choice). Null for n = 1.
    private readonly ChannelReader<ChoiceEvent>? _merged;
    private int _tokens;
    private Activity? _queueSpan;
    private Activity? _generateSpan;
    private long? _firstToken;
    private long _lastToken;
    private bool _completed;

    public ActiveGeneration(GenerationHandle handle, PreparedGeneration prepared, string endpoint, long started, ActivityContext parent,
        Activity? queueSpan, ApiTelemetry telemetry, ILogger logger, TimeProvider time, CancellationToken clientAborted, LogprobsRenderer renderer)
    {
        _renderer = renderer;
        _choices = handle.Choices.Select(_ => new ChoiceProgress()).ToArray();
        _merged = _choices.Length > 1 ? Merge(handle.Choices, clientAborted) : null;
        (_handle, _prepared, _endpoint, _started, _queueSpan) = (handle, prepared, endpoint, started, queueSpan);
        (_telemetry, _logger, _time, _clientAborted) = (telemetry, logger, time, clientAborted);
        _parent = parent;
        // Free the engine's KV blocks the moment the client goes, even while a write is blocked.
        _abortRegistration = clientAborted.Register(handle.Cancel);
    }

    public bool ClientGone => _clientAborted.IsCancellationRequested;
    public CancellationToken ClientAborted => _clientAborted;

    /// <summary>The choices (n of them), what each produced so far.</summary>
    internal IReadOnlyList<ChoiceProgress> Choices => _choices;

    /// <summary>Tokens generated so far, every choice together.</summary>
    public int TokenCount => _tokens;

    /// <summary>The next event of any choice, or null when the client left or the engine closed a stream early.</summary>
    public async ValueTask<ChoiceEvent?> ReadAsync()
    {
        try
        {
            if (_merged is not null)
            {
                while (await _merged.WaitToReadAsync(_clientAborted))
                {
                    if (_merged.TryRead(out var tagged))
                    {
                        Observe(tagged);
                        return tagged;
                    }
                }
                return null;
            }
            while (await _handle.Events.WaitToReadAsync(_clientAborted))
            {
                if (_handle.Events.TryRead(out var next))
                {
                    Observe(new ChoiceEvent(0, next));
                    return new ChoiceEvent(0, next);
                }
            }
            return null;
        }
        catch (OperationCanceledException)
        {
            _handle.Cancel();
            return null;
        }
    }

    /// <summary>Records the outcome once; <paramref name="usage"/> and <paramref name="finishReason"/> when it finished (every choice).</summary>
    public void Complete(string outcome, GenerationUsage? usage = null, string? finishReason = null)
    {
        if (_completed)
        {
            return;
        }
        _completed = true;
        EndSpans(outcome);
        var duration = _time.GetElapsedTime(_started);
        var promptTokens = usage?.PromptTokens ?? _prepared.Request.PromptTokenIds.Count;
        var completionTokens = usage?.CompletionTokens ?? _tokens;
        _telemetry.RecordOutcome(_endpoint, outcome, duration);
        _telemetry.RecordTokens(_endpoint, promptTokens, completionTokens);
        var ttft = _firstToken is { } first ? _time.GetElapsedTime(_started, first).TotalMilliseconds : (double?)null;
        CompletionLog.Completed(_logger, _prepared.Request.RequestId, _endpoint, _prepared.Request.SessionId, _prepared.Stream, outcome,
            promptTokens, completionTokens, usage?.CachedPromptTokens ?? 0, ttft, duration.TotalMilliseconds, finishReason);
    }

    public void Dispose()
    {
        _abortRegistration.Dispose();
        _handle.Dispose();
        Complete(ClientGone ? RequestOutcome.ClientCancelled : RequestOutcome.EngineFailed);
    }

    /// <summary>One pump per choice copies its events, tagged, into one channel; the channel completes when every choice's does.</summary>
    private static ChannelReader<ChoiceEvent> Merge(IReadOnlyList<GenerationHandle> choices, CancellationToken clientAborted)
    {
        var merged = Channel.CreateUnbounded<ChoiceEvent>(new UnboundedChannelOptions { SingleReader = true });
        var pumps = choices.Select((choice, index) => Pump(index, choice.Events, merged.Writer, clientAborted)).ToArray();
        _ = Task.WhenAll(pumps).ContinueWith(_ => merged.Writer.TryComplete(), TaskScheduler.Default);
        return merged.Reader;
    }

    private static async Task Pump(int choice, ChannelReader<GenerationEvent> events, ChannelWriter<ChoiceEvent> merged, CancellationToken clientAborted)
    {
        try
        {
            await foreach (var next in events.ReadAllAsync(clientAborted))
            {
                merged.TryWrite(new ChoiceEvent(choice, next));
            }
        }
        catch (OperationCanceledException)
        {
            // The client left: the reader stops too, and disposal cancels the engine request.
        }
    }

    private void Observe(ChoiceEvent tagged)
    {
        var now = _time.GetTimestamp();
        _choices[tagged.Choice].Observe(tagged.Event, _renderer);
        if (tagged.Event is TokenGenerated)
        {
            if (_firstToken is null)
            {
                _firstToken = now;
                _telemetry.RecordTimeToFirstToken(_endpoint, _time.GetElapsedTime(_started, now));
                _queueSpan?.Dispose();
                _queueSpan = null;
                _generateSpan = ApiTelemetry.ActivitySource.StartActivity("engine.generate", ActivityKind.Internal, _parent);
            }
            else
            {
                _telemetry.RecordInterTokenLatency(_endpoint, _time.GetElapsedTime(_lastToken, now));
            }
            _lastToken = now;
            _tokens++;
        }
        else if (tagged.Event is GenerationFinished finished)
        {
            foreach (var step in finished.Usage.StepSpans)
            {
                (_generateSpan ?? _queueSpan)?.AddLink(new ActivityLink(step));
            }
        }
    }

    private void EndSpans(string outcome)
    {
        foreach (var span in new[] { _queueSpan, _generateSpan })
        {
            if (span is null)
            {
                continue;
            }
            span.SetTag("gqa.outcome", outcome);
            span.SetTag("gqa.completion_tokens", _tokens);
            if (outcome != RequestOutcome.Ok)
            {
                span.SetStatus(ActivityStatusCode.Error, outcome);
            }
            span.Dispose();
        }
        _queueSpan = _generateSpan = null;
    }
}
