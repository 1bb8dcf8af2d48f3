using System.Threading.Channels;
using GqaService.Inference.Engine.Events;
using Microsoft.Extensions.Logging;

namespace GqaService.Inference.Engine;

/// <summary>
/// The dedicated engine thread's body: drain commands into the <see cref="RequestRegistry"/>, run a <see cref="StepCore"/>
/// step, wait when idle; repeat until stopped. Synchronous by design (TorchSharp's dispose scopes and grad modes are
/// thread-local). Nothing here is thread-safe: other threads reach it only through the command channel and the published snapshot.
/// </summary>
internal sealed class EngineLoop
{
    private readonly ChannelReader<EngineCommand> _commands;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RequestRegistry _requests;
    private readonly StepCore _step;

    public EngineLoop(EngineParts parts, ChannelReader<EngineCommand> commands, EngineMetrics metrics, EngineEvents events, ILogger logger,
        Action<ActiveRequest> requestCompleted)
    {
        (_commands, _logger, _time) = (commands, logger, parts.Time);
        var settings = new RequestRegistrySettings(parts.Limits.RequestTimeout, parts.Limits.SessionIdleTimeout, parts.Pool.BytesPerBlock);
        var recorder = new EngineEventRecorder(events, parts.Scheduler, parts.Sessions, parts.Pool.BytesPerBlock, parts.Time);
        _requests = new RequestRegistry(settings, parts.Scheduler, parts.Sessions, metrics, recorder, parts.Time, logger, requestCompleted);
        var outputs = new OutputProcessor(_requests, metrics, parts.Time, parts.EosTokenIds, parts.MaxContext);
        var publisher = new SnapshotPublisher(parts.Scheduler, parts.Sessions, parts.Pool.Layout, metrics, parts.Time);
        _step = new StepCore(parts.Scheduler, parts.Runner, _requests, outputs, publisher, recorder, metrics, new StepTracing(parts.Allocator));
    }

    public int ActiveCount => _requests.Count;

    /// <summary>Publishes the empty pool's snapshot, so readers never see an unset one once the engine is ready.</summary>
    public void PublishInitialSnapshot() => _step.Publish();

    /// <summary>Runs until <paramref name="stop"/> fires and in-flight work drains (or <paramref name="drainTimeout"/> passes).</summary>
    public void Run(CancellationToken stop, TimeSpan drainTimeout)
    {
        DateTimeOffset? drainDeadline = null;
        while (true)
        {
            DrainCommands();
            if (stop.IsCancellationRequested)
            {
                drainDeadline ??= _time.GetUtcNow() + drainTimeout;
                if (_requests.Count == 0 || _time.GetUtcNow() > drainDeadline)
                {
                    break;
                }
            }
            StepOrFailInFlight();
            if (_requests.Count == 0 && !stop.IsCancellationRequested)
            {
                WaitForCommand(stop);
            }
        }
        _requests.FailAll("shutting_down", "The service is shutting down.");
        _step.Publish();
    }

    /// <summary>After the loop itself failed: every request still known, and any that arrive late, end with an error.</summary>
    public void Abandon(string code, string message)
    {
        _requests.Abandon(code, message);
        RefuseLateCommands();
    }

    /// <summary>
    /// After <see cref="Run"/>, once the command channel is closed: a request that slipped in while the engine stopped is
    /// told so, never left waiting.
    /// </summary>
    public void RefuseLateCommands()
    {
        while (_commands.TryRead(out var command))
        {
            switch (command)
            {
                case SubmitCommand submit:
                    _requests.RefuseLate(submit.Request);
                    break;
                case DeleteSessionCommand delete:
                    _requests.DeleteSession(delete);
                    break;
            }
        }
        _step.Publish();
    }

    /// <summary>
    /// One bad step (a libtorch error, a bug) ends the requests in flight with an error and frees their blocks; the loop,
    /// and every later request, carries on.
    /// </summary>
    private void StepOrFailInFlight()
    {
        try
        {
            _step.Step();
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "Engine step failed; failing the {Count} requests in flight", _requests.Count);
            _requests.FailAll("engine_failed", "The engine failed while generating; see the service log.");
            _step.Publish();
        }
    }

    private void DrainCommands()
    {
        while (_commands.TryRead(out var command))
        {
            switch (command)
            {
                case SubmitCommand submit:
                    _requests.Admit(submit.Request);
                    break;
                case CancelCommand cancel:
                    _requests.Cancel(cancel.Request);
                    break;
                case DeleteSessionCommand delete:
                    _requests.DeleteSession(delete);
                    break;
            }
        }
    }

    private void WaitForCommand(CancellationToken stop)
    {
        try
        {
            _commands.WaitToReadAsync(stop).AsTask().Wait(TimeSpan.FromSeconds(1), stop);
        }
        catch (OperationCanceledException)
        {
        }
        catch (AggregateException exception) when (exception.InnerException is OperationCanceledException or ChannelClosedException)
        {
        }
    }
}
