using System.Diagnostics;
using System.Text;
using GqaService.Api.Contracts;
using GqaService.Api.Observability;
using GqaService.Inference.Engine;

namespace GqaService.Api.Generation;

/// <summary>
/// One admitted request seen from the HTTP side: reads the engine's events until the client aborts (deadlines are the
/// engine's: it ends a late request with a deadline_exceeded failure), measures TTFT and inter-token gaps, owns the "engine.queue"/"engine.generate" spans, and records the request's
/// metrics and log line exactly once. Disposing cancels the engine request (a no-op once it finished). Not thread-safe:
/// one handler (or one stream writer) drives it.
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
    private readonly StringBuilder _text = new();
    private readonly List<int> _tokenIds = [];
    private Activity? _queueSpan;
    private Activity? _generateSpan;
    private long? _firstToken;
    private long _lastToken;
    private bool _completed;

    public ActiveGeneration(GenerationHandle handle, PreparedGeneration prepared, string endpoint, long started, ActivityContext parent,
        Activity? queueSpan, ApiTelemetry telemetry, ILogger logger, TimeProvider time, CancellationToken clientAborted)
    {
        (_handle, _prepared, _endpoint, _started, _queueSpan) = (handle, prepared, endpoint, started, queueSpan);
        (_telemetry, _logger, _time, _clientAborted) = (telemetry, logger, time, clientAborted);
        _parent = parent;
        // Free the engine's KV blocks the moment the client goes, even while a write is blocked.
        _abortRegistration = clientAborted.Register(handle.Cancel);
    }

    public bool ClientGone => _clientAborted.IsCancellationRequested;
    public string Text => _text.ToString();
    public IReadOnlyList<int> TokenIds => _tokenIds;
    public CancellationToken ClientAborted => _clientAborted;

    /// <summary>The next event, or null when the client left or the engine closed the stream early.</summary>
    public async ValueTask<GenerationEvent?> ReadAsync()
    {
        try
        {
            while (await _handle.Events.WaitToReadAsync(_clientAborted))
            {
                if (_handle.Events.TryRead(out var next))
                {
                    Observe(next);
                    return next;
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

    public void Complete(string outcome, GenerationFinished? finished = null)
    {
        if (_completed)
        {
            return;
        }
        _completed = true;
        EndSpans(outcome);
        var duration = _time.GetElapsedTime(_started);
        var usage = finished?.Usage;
        var promptTokens = usage?.PromptTokens ?? _prepared.Request.PromptTokenIds.Count;
        var completionTokens = usage?.CompletionTokens ?? _tokenIds.Count;
        _telemetry.RecordOutcome(_endpoint, outcome, duration);
        _telemetry.RecordTokens(_endpoint, promptTokens, completionTokens);
        var ttft = _firstToken is { } first ? _time.GetElapsedTime(_started, first).TotalMilliseconds : (double?)null;
        CompletionLog.Completed(_logger, _prepared.Request.RequestId, _endpoint, _prepared.Request.SessionId, _prepared.Stream, outcome,
            promptTokens, completionTokens, usage?.CachedPromptTokens ?? 0, ttft, duration.TotalMilliseconds, finished?.Reason.ToWire());
    }

    public void Dispose()
    {
        _abortRegistration.Dispose();
        _handle.Dispose();
        Complete(ClientGone ? RequestOutcome.ClientCancelled : RequestOutcome.EngineFailed);
    }

    private void Observe(GenerationEvent next)
    {
        var now = _time.GetTimestamp();
        if (next is TokenGenerated token)
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
            _tokenIds.Add(token.TokenId);
            _text.Append(token.TextDelta);
        }
        else if (next is GenerationFinished finished)
        {
            _text.Append(finished.TextDelta);
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
            span.SetTag("gqa.completion_tokens", _tokenIds.Count);
            if (outcome != RequestOutcome.Ok)
            {
                span.SetStatus(ActivityStatusCode.Error, outcome);
            }
            span.Dispose();
        }
        _queueSpan = _generateSpan = null;
    }
}
