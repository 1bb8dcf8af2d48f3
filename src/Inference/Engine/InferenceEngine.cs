using System.Threading.Channels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Limits;
using GqaService.Inference.Loading;
using GqaService.Inference.Native;
using GqaService.Inference.Scheduling;
using GqaService.Inference.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace GqaService.Inference.Engine;

/// <summary>
/// The engine's public face. Owns one dedicated thread that loads the model and then runs <see cref="EngineLoop"/>; every
/// TorchSharp call happens there. Callers talk to it through a command channel and per-request event channels.
/// </summary>
public sealed class InferenceEngine : IInferenceEngine, IDisposable
{
    private readonly EngineOptions _options;
    private readonly ILogger<InferenceEngine> _logger;
    private readonly TimeProvider _time;
    private readonly Channel<EngineCommand> _commands = Channel.CreateUnbounded<EngineCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SessionLeases _sessionLeases = new();
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private int _inFlight;
    private int _started;
    private int _stopping;
    private long _arrivals;
    private double _meanRequestSeconds = 1;
    private volatile bool _ready;
    private ModelDescription? _model;
    private ITextTokenizer? _tokenizer;
    private ServingLimits? _limits;

    public InferenceEngine(IOptions<EngineOptions> options, ILogger<InferenceEngine> logger, TimeProvider? time = null)
    {
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        Metrics = new EngineMetrics();
        _thread = new Thread(RunEngineThread) { Name = "inference", IsBackground = true };
    }

    public EngineMetrics Metrics { get; }
    public ModelDescription Model => _model ?? throw new EngineUnavailableException("The model is still loading.");
    public ITextTokenizer? Tokenizer => _tokenizer;
    public bool IsReady => _ready;
    public ServingLimits Limits => _limits ?? throw new EngineUnavailableException("The model is still loading.");

    /// <summary>Starts the engine thread; completes once the model is loaded and the KV pool allocated.</summary>
    public Task StartAsync()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _thread.Start();
        }
        return _loaded.Task;
    }

    /// <summary>Stops admitting, lets in-flight requests finish within the shutdown timeout, cancels the rest, frees everything.</summary>
    public Task StopAsync()
    {
        _ready = false;
        // The host may stop the engine twice (WebApplication.Run's own shutdown beside the caller's StopAsync) and after
        // disposing it: cancel once, and never touch the token source again.
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            _stop.Cancel();
        }
        // A host whose start failed (bad options) disposes an engine whose thread never ran; there is nothing to join.
        return Volatile.Read(ref _started) == 0 ? Task.CompletedTask : Task.Run(() => _thread.Join());
    }

    public GenerationHandle Submit(GenerationRequest request)
    {
        if (!_ready)
        {
            throw new EngineUnavailableException(_stop.IsCancellationRequested ? "The service is shutting down." : "The model is still loading.");
        }
        if (GenerationRequestValidator.Validate(request, Limits) is { Count: > 0 } errors)
        {
            throw new InvalidGenerationRequestException(errors);
        }
        if (Interlocked.Increment(ref _inFlight) > _options.MaxSequencesPerStep + _options.MaxWaitingRequests)
        {
            var excess = Interlocked.Decrement(ref _inFlight) - _options.MaxSequencesPerStep - _options.MaxWaitingRequests + 1;
            var seconds = Math.Clamp(Math.Ceiling(_meanRequestSeconds * excess / _options.MaxSequencesPerStep), 1, 300);
            throw new EngineOverloadedException($"The waiting queue is full ({_options.MaxWaitingRequests} requests).", TimeSpan.FromSeconds(seconds));
        }
        if (request.SessionId is { } sessionId && !_sessionLeases.TryAcquire(sessionId))
        {
            Interlocked.Decrement(ref _inFlight);
            throw new SessionBusyException(sessionId);
        }
        var events = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
        var sequence = new Sequence(request, Interlocked.Increment(ref _arrivals), _time.GetUtcNow());
        var text = _tokenizer is null ? null : new OutputText(_tokenizer, request.StopSequences, request.PromptTokenIds[^1]);
        var active = new ActiveRequest(sequence, events.Writer, text);
        if (!_commands.Writer.TryWrite(new SubmitCommand(active)))
        {
            Interlocked.Decrement(ref _inFlight);
            if (request.SessionId is { } busy)
            {
                _sessionLeases.Release(busy);
            }
            throw new EngineUnavailableException("The service is shutting down.");
        }
        return new GenerationHandle(request.RequestId, events.Reader, () => _commands.Writer.TryWrite(new CancelCommand(active)));
    }

    public MemorySnapshot GetMemorySnapshot() => Metrics.Latest;

    public IReadOnlyList<SessionInfo> ListSessions() => Metrics.Latest.Sessions;

    public SessionInfo? GetSession(string sessionId) => Metrics.Latest.Sessions.FirstOrDefault(s => s.SessionId == sessionId);

    public Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        if (_sessionLeases.IsHeld(sessionId))
        {
            throw new SessionBusyException(sessionId);
        }
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_commands.Writer.TryWrite(new DeleteSessionCommand(sessionId, done)))
        {
            throw new EngineUnavailableException("The service is shutting down.");
        }
        return done.Task.WaitAsync(cancellationToken);
    }

    private void RunEngineThread()
    {
        EngineParts parts;
        try
        {
            _logger.LogInformation("{OpenMp}", OpenMpEnvironment.PreferPassiveWaiting());
            _logger.LogInformation("{TorchNatives}", TorchNativeCompatibility.EnsureLoadable());
            using var noGrad = torch.inference_mode();
            var loaded = ModelLoader.Load(_options.ModelPath, _options.TokenizerPath);
            var threads = IntraOpThreads(_options, loaded.Weights.Config);
            torch.set_num_threads(threads);
            _logger.LogInformation("libtorch intra-op threads: {Threads} (Inference:TorchThreads = {Configured})", threads, _options.TorchThreads);
            parts = new EngineParts(loaded, _options, _time, _sessionLeases);
            _model = loaded.Description;
            _tokenizer = loaded.Tokenizer;
            _limits = parts.Limits;
            LogPool(parts);
        }
        catch (Exception exception)
        {
            _logger.LogCritical(exception, "The model could not be loaded");
            _loaded.TrySetException(exception);
            return;
        }
        using (parts)
        using (torch.inference_mode())
        {
            var loop = new EngineLoop(parts, _commands.Reader, Metrics, _logger, OnRequestCompleted);
            loop.PublishInitialSnapshot();
            _ready = true;
            _loaded.TrySetResult();
            try
            {
                loop.Run(_stop.Token, TimeSpan.FromSeconds(_options.ShutdownTimeoutSeconds));
                _commands.Writer.TryComplete();
                loop.RefuseLateCommands();
            }
            catch (Exception exception)
            {
                _ready = false;
                _logger.LogCritical(exception, "The engine loop failed; the service can no longer generate");
                _commands.Writer.TryComplete();
                loop.Abandon("engine_failed", "The engine failed; see the service log.");
            }
        }
        _logger.LogInformation("Engine stopped; weights and KV pool released");
    }

    /// <summary>
    /// 0 means automatic: below dim 512 every matmul is so small that waking a second OpenMP thread costs more than it
    /// saves (stories260K: 780 vs 615 tok/s single-stream, 7185 vs 4217 at 16 streams), above it all cores pay off
    /// (random100M: 27.5 vs 22.4 tok/s); see docs/benchmarks.md.
    /// </summary>
    internal static int IntraOpThreads(EngineOptions options, Model.ModelConfig config) =>
        options.TorchThreads > 0 ? options.TorchThreads : config.Dim < 512 ? 1 : Environment.ProcessorCount;

    private void OnRequestCompleted(ActiveRequest request)
    {
        Interlocked.Decrement(ref _inFlight);
        if (request.Sequence.Request.SessionId is { } sessionId)
        {
            _sessionLeases.Release(sessionId);
        }
        var seconds = (_time.GetUtcNow() - request.Sequence.SubmittedAt).TotalSeconds;
        _meanRequestSeconds = 0.9 * _meanRequestSeconds + 0.1 * seconds;
    }

    private void LogPool(EngineParts parts)
    {
        var config = parts.Config;
        var tokens = (long)parts.Allocator.TotalBlocks * parts.BlockSize;
        var mhaTokens = parts.Pool.TotalBytes / config.MhaKvBytesPerToken(sizeof(float));
        _logger.LogInformation(
            "Model {ModelId}: {Parameters:N0} parameters, {Layers} layers, {Heads} query heads / {KvHeads} KV heads; context {Context}",
            _model!.Id, _model.ParameterCount, config.NumLayers, config.NumHeads, config.NumKvHeads, parts.MaxContext);
        _logger.LogInformation(
            "KV pool: {Blocks} blocks x {BlockSize} tokens = {Tokens} tokens, {Bytes:N0} bytes ({BytesPerToken} B/token); the same budget holds {MhaTokens} tokens under MHA",
            parts.Allocator.TotalBlocks, parts.BlockSize, tokens, parts.Pool.TotalBytes, config.KvBytesPerToken(sizeof(float)), mhaTokens);
    }

    public void Dispose()
    {
        if (Volatile.Read(ref _stopping) == 0)
        {
            StopAsync().Wait(TimeSpan.FromSeconds(_options.ShutdownTimeoutSeconds + 5));
        }
        Metrics.Dispose();
        _stop.Dispose();
    }
}
