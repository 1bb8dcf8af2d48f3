using System.Threading.Channels;
using GqaService.Inference.Engine.Events;
using GqaService.Inference.KvCache;
using GqaService.Inference.Limits;
using GqaService.Inference.Loading;
using GqaService.Inference.Native;
using GqaService.Inference.Sampling;
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
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Guards the lifecycle below: StartAsync, StopAsync and Dispose may be called from different threads in any order
    // (the host's stop, the container's disposal, a test), and _stop must never be used once disposed.
    private readonly Lock _lifecycle = new();
    private readonly Thread _thread;
    private int _inFlight;
    private bool _started;
    private Task? _stopping;
    private bool _disposed;
    private long _arrivals;
    private double _meanRequestSeconds = 1;
    private volatile bool _ready;
    private ModelDescription? _model;
    private Kernels.NativeKernels? _kernels; // engine thread only, with _kernelsLoaded
    private bool _kernelsLoaded;
    private ITextTokenizer? _tokenizer;
    private ServingLimits? _limits;
    private readonly EngineEvents? _ownedEvents;

    public InferenceEngine(IOptions<EngineOptions> options, ILogger<InferenceEngine> logger, TimeProvider? time = null, EngineEvents? events = null)
    {
        // Without a shared hub (DI registers one for /v1/events) the engine keeps its own and disposes it.
        _ownedEvents = events is null ? new EngineEvents(time) : null;
        Events = events ?? _ownedEvents!;
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        Metrics = new EngineMetrics();
        _thread = new Thread(RunEngineThread) { Name = "inference", IsBackground = true };
    }

    public EngineMetrics Metrics { get; }
    /// <summary>The engine's event hub (<c>/v1/events</c>) and its block map.</summary>
    public EngineEvents Events { get; }
    public ModelDescription Model => _model ?? throw new EngineUnavailableException("The model is still loading.");
    public ITextTokenizer? Tokenizer => _tokenizer;
    public bool IsReady => _ready;
    public ServingLimits Limits => _limits ?? throw new EngineUnavailableException("The model is still loading.");

    /// <summary>Starts the engine thread; completes once the model is loaded and the KV pool allocated.</summary>
    public Task StartAsync()
    {
        lock (_lifecycle)
        {
            if (_stopping is not null)
            {
                return Task.FromException(new EngineUnavailableException("The service is shutting down."));
            }
            if (!_started)
            {
                _started = true;
                _thread.Start();
            }
        }
        return _loaded.Task;
    }

    /// <summary>
    /// Stops admitting (<see cref="Submit"/> throws <see cref="EngineUnavailableException"/> at once), lets in-flight requests
    /// run for up to <see cref="EngineOptions.ShutdownTimeoutSeconds"/>, ends the rest with <c>shutting_down</c>, frees every
    /// block and the weights. Completes when the engine thread has exited. Idempotent, thread-safe, and safe after
    /// <see cref="Dispose"/>: every call returns the same task.
    /// </summary>
    public Task StopAsync()
    {
        lock (_lifecycle)
        {
            if (_stopping is null)
            {
                // _stopping is published before _ready falls (a volatile write), so a Submit that sees "not ready" from
                // here on also sees the stop and says "shutting down", never "still loading" (found by a loaded test run).
                Volatile.Write(ref _stopping, _started ? _exited.Task : Task.CompletedTask);
                var wasServing = _ready;
                _ready = false;
                if (wasServing)
                {
                    _logger.LogInformation("Engine stopping: new requests are refused; {InFlight} requests in flight may run for up to {DrainSeconds} s",
                        Volatile.Read(ref _inFlight), _options.ShutdownTimeoutSeconds);
                }
                _stop.Cancel();
            }
            return _stopping;
        }
    }

    public GenerationHandle Submit(GenerationRequest request)
    {
        if (!_ready)
        {
            throw new EngineUnavailableException(Volatile.Read(ref _stopping) is not null ? "The service is shutting down." : "The model is still loading.");
        }
        if (GenerationRequestValidator.Validate(request, Limits) is { Count: > 0 } errors)
        {
            throw new InvalidGenerationRequestException(errors);
        }
        // Each choice holds a decode slot of its own, so n choices count as n requests in flight.
        var choices = request.Choices;
        if (Interlocked.Add(ref _inFlight, choices) > _options.MaxSequencesPerStep + _options.MaxWaitingRequests)
        {
            var excess = Interlocked.Add(ref _inFlight, -choices) - _options.MaxSequencesPerStep - _options.MaxWaitingRequests + choices;
            var seconds = Math.Clamp(Math.Ceiling(_meanRequestSeconds * excess / _options.MaxSequencesPerStep), 1, 300);
            Events.Publish(new EngineEvent { Kind = EngineEventKind.Rejected, RequestId = request.RequestId, SessionId = request.SessionId, Reason = "overloaded" });
            throw new EngineOverloadedException($"The waiting queue is full ({_options.MaxWaitingRequests} requests).", TimeSpan.FromSeconds(seconds));
        }
        if (request.Session is { } session && !_sessionLeases.TryAcquire(session))
        {
            Interlocked.Add(ref _inFlight, -choices);
            throw new SessionBusyException(session.Id);
        }
        var submittedAt = _time.GetUtcNow();
        var (leader, leaderEvents) = NewActiveRequest(request with { Choices = 1 }, submittedAt);
        var choiceHandles = new List<GenerationHandle>();
        for (var choice = 1; choice < choices; choice++)
        {
            var seed = SamplingParameters.SeedOfChoice(leader.Random.Seed, choice);
            var (parked, parkedEvents) = NewActiveRequest(request with
            {
                RequestId = ChoiceRequestId(request.RequestId, choice),
                Choices = 1,
                Sampling = request.Sampling with { Seed = seed },
            }, submittedAt);
            leader.ParkedChoices.Add(parked);
            choiceHandles.Add(new GenerationHandle(parked.Id, parkedEvents, () => _commands.Writer.TryWrite(new CancelCommand(parked))));
        }
        if (!_commands.Writer.TryWrite(new SubmitCommand(leader)))
        {
            Interlocked.Add(ref _inFlight, -choices);
            if (request.Session is { } busy)
            {
                _sessionLeases.Release(busy);
            }
            throw new EngineUnavailableException("The service is shutting down.");
        }
        return new GenerationHandle(request.RequestId, leaderEvents, () => _commands.Writer.TryWrite(new CancelCommand(leader)), choiceHandles);
    }

    /// <summary>The engine-side id of choice <paramref name="choice"/> (1..n-1) of a request; choice 0 keeps the request's id.</summary>
    public static string ChoiceRequestId(string requestId, int choice) => $"{requestId}#{choice}";

    private (ActiveRequest Request, ChannelReader<GenerationEvent> Events) NewActiveRequest(GenerationRequest request, DateTimeOffset submittedAt)
    {
        var events = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
        var sequence = new Sequence(request, Interlocked.Increment(ref _arrivals), submittedAt);
        var text = _tokenizer is null ? null : new OutputText(_tokenizer, request.StopSequences, request.PromptTokenIds[^1]);
        return (new ActiveRequest(sequence, events.Writer, text), events.Reader);
    }

    public MemorySnapshot GetMemorySnapshot() => Metrics.Latest;

    public IReadOnlyList<SessionInfo> ListSessions(string tenant) => Metrics.Latest.Sessions.Where(s => s.Tenant == tenant).ToList();

    public SessionInfo? GetSession(string tenant, string sessionId) =>
        Metrics.Latest.Sessions.FirstOrDefault(s => s.Tenant == tenant && s.SessionId == sessionId);

    public Task<bool> DeleteSessionAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        var session = new SessionKey(tenant, sessionId);
        if (_sessionLeases.IsHeld(session))
        {
            throw new SessionBusyException(sessionId);
        }
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_commands.Writer.TryWrite(new DeleteSessionCommand(session, done)))
        {
            throw new EngineUnavailableException("The service is shutting down.");
        }
        return done.Task.WaitAsync(cancellationToken);
    }

    private void RunEngineThread()
    {
        try
        {
            RunModel();
        }
        finally
        {
            _exited.TrySetResult();
        }
    }

    private void RunModel()
    {
        EngineParts parts;
        try
        {
            _logger.LogInformation("{OpenMp}", OpenMpEnvironment.PreferPassiveWaiting());
            _logger.LogInformation("{TorchNatives}", TorchNativeCompatibility.EnsureLoadable());
            using var noGrad = torch.inference_mode();
            var progress = new LoadProgressLog(_logger, _time);
            var loaded = KvHeadRegrouping.Apply(ModelLoader.Load(_options.ModelPath, _options.TokenizerPath,
                contextLength: _options.GgufContextLength > 0 ? _options.GgufContextLength : null, progress: progress, linearDtype: ChooseLinearDtype),
                _options.KvHeads);
            _logger.LogInformation("Model loaded in {Seconds:F2} s: {WeightBytes} bytes of weights in {WeightDtype}; process resident set {ResidentBytes} bytes",
                progress.Elapsed.TotalSeconds, loaded.Weights.Bytes, loaded.Description.ComputePrecision, Environment.WorkingSet);
            parts = new EngineParts(loaded, _options, _time, _sessionLeases, LoadedKernels(loaded.Weights.Config));
            _model = loaded.Description;
            _tokenizer = loaded.Tokenizer;
            _limits = parts.Limits;
            LogPool(parts);
            ReleaseStartupCode();
        }
        catch (Exception exception)
        {
            // Whoever started the engine reports the failure (the server prints one line and exits 1); an expected load
            // failure is logged without its stack so the log does not repeat it, anything else keeps the stack.
            if (exception is ModelLoadException or IOException or InvalidDataException)
            {
                _logger.LogCritical("The model could not be loaded: {Reason}", exception.Message);
            }
            else
            {
                _logger.LogCritical(exception, "The model could not be loaded");
            }
            _loaded.TrySetException(exception);
            return;
        }
        using (parts)
        using (torch.inference_mode())
        {
            var loop = new EngineLoop(parts, _commands.Reader, Metrics, Events, _logger, OnRequestCompleted);
            loop.PublishInitialSnapshot();
            lock (_lifecycle)
            {
                // A stop that came while the model loaded wins: the engine never reports ready.
                _ready = _stopping is null;
            }
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

    /// <summary>libtorch's operator registration ran when it loaded and never runs again: its pages need not stay resident.</summary>
    private void ReleaseStartupCode()
    {
        if (!_options.ReleaseStartupCode)
        {
            return;
        }
        var released = LibraryCodePages.ReleaseResident(LibraryCodePages.TorchCpuLibrary);
        _logger.LogInformation("Released {ReleasedBytes} resident bytes of libtorch's start-up code (Inference:ReleaseStartupCode); process resident set {ResidentBytes} bytes",
            released, Environment.WorkingSet);
    }

    /// <summary>
    /// Runs once the model's shape is known and before its tensors are read: sets the intra-op threads (the bf16 probe must
    /// measure with the threads the engine will use), then resolves Inference:WeightDtype and logs the choice with its figures.
    /// </summary>
    private torch.ScalarType ChooseLinearDtype(Model.ModelConfig config)
    {
        var threads = IntraOpThreads(_options, config);
        torch.set_num_threads(threads);
        _logger.LogInformation("libtorch intra-op threads: {Threads} (Inference:TorchThreads = {Configured})", threads, _options.TorchThreads);
        var cpu = Precision.CpuFeatures.Host;
        // The probe times the path the decoder will take: the native kernel when it loads, libtorch otherwise.
        var kernels = LoadedKernels(config);
        var choice = Precision.WeightDtypeChooser.Choose(Precision.WeightDtypeChooser.Parse(_options.WeightDtype), config, cpu,
            measure: c => Precision.Bf16MatmulProbe.Measure(c, kernels));
        if (choice.Dtype == Precision.WeightDtypeChoice.Q8_0Dtype && kernels is null)
        {
            // Q8_0 blocks are multiplied by the native kernel only: without it the file's values are served in float32.
            var why = _options.NativeKernels ? "the native kernels cannot load" : "the native kernels are off (Inference:NativeKernels = false)";
            choice = new Precision.WeightDtypeChoice(torch.ScalarType.Float32, $"q8_0 was asked for, but {why}: weights dequantised to float32", []);
        }
        _logger.LogInformation("Linear weights in {WeightDtype} (Inference:WeightDtype = {Configured}): {Reason}; CPU {CpuModel}, native bf16 {NativeBf16}",
            choice.Name, _options.WeightDtype, choice.Reason, cpu.ModelName, cpu.HasNativeBf16);
        foreach (var timing in choice.Timings)
        {
            _logger.LogInformation("bf16 probe at {Rows} rows: f32 {F32Milliseconds:F3} ms, bf16 {Bf16Milliseconds:F3} ms per gate/up matmul ({Speedup:F2}x)",
                timing.Rows, timing.F32Milliseconds, timing.Bf16Milliseconds, timing.Speedup);
        }
        return choice.Dtype;
    }

    /// <summary>The project's own kernels (loaded on first call: the weight-dtype probe needs them before the decoder does).</summary>
    private Kernels.NativeKernels? LoadedKernels(Model.ModelConfig config)
    {
        if (!_kernelsLoaded)
        {
            _kernels = LoadKernels(config);
            _kernelsLoaded = true;
        }
        return _kernels;
    }

    /// <summary>The project's own kernels, unless Inference:NativeKernels is off or the library cannot load (then libtorch does all).</summary>
    private Kernels.NativeKernels? LoadKernels(Model.ModelConfig config)
    {
        if (!_options.NativeKernels)
        {
            _logger.LogInformation("Native kernels off (Inference:NativeKernels = false): libtorch runs every operation");
            return null;
        }
        var kernels = Kernels.NativeKernels.TryLoad(IntraOpThreads(_options, config), _options.KernelSpinMicroseconds, out var reason);
        _logger.LogInformation("Native kernels: {Outcome}", reason);
        return kernels;
    }

    /// <summary>
    /// 0 means automatic: below dim 512 every matmul is so small that waking a second OpenMP thread costs more than it
    /// saves (stories260K: 780 vs 615 tok/s single-stream, 7185 vs 4217 at 16 streams), above it all cores pay off
    /// (random100M: 27.5 vs 22.4 tok/s); see docs/benchmarks.md.
    /// </summary>
    public static int IntraOpThreads(EngineOptions options, Model.ModelConfig config) =>
        options.TorchThreads > 0 ? options.TorchThreads : config.Dim < 512 ? 1 : Environment.ProcessorCount;

    private void OnRequestCompleted(ActiveRequest request)
    {
        Interlocked.Decrement(ref _inFlight);
        if (request.Sequence.Request.Session is { } session)
        {
            _sessionLeases.Release(session);
        }
        var seconds = (_time.GetUtcNow() - request.Sequence.SubmittedAt).TotalSeconds;
        _meanRequestSeconds = 0.9 * _meanRequestSeconds + 0.1 * seconds;
    }

    private void LogPool(EngineParts parts)
    {
        var config = parts.Config;
        var tokens = (long)parts.Allocator.TotalBlocks * parts.BlockSize;
        var layout = parts.Pool.Layout;
        var mhaTokens = parts.Pool.TotalBytes / layout.MhaBytesPerToken;
        _logger.LogInformation(
            "Model {ModelId}: {Parameters:N0} parameters, {Layers} layers, {Heads} query heads / {KvHeads} KV heads; context {Context}",
            _model!.Id, _model.ParameterCount, config.NumLayers, config.NumHeads, config.NumKvHeads, parts.MaxContext);
        _logger.LogInformation(
            "KV pool: {Blocks} blocks x {BlockSize} tokens = {Tokens} tokens of {KvDtype}, {Bytes:N0} bytes ({BytesPerToken} B/token); the same budget holds {MhaTokens} tokens under MHA",
            parts.Allocator.TotalBlocks, parts.BlockSize, tokens, layout.DtypeName, parts.Pool.TotalBytes, layout.BytesPerToken, mhaTokens);
    }

    /// <summary>Stops (as <see cref="StopAsync"/>) and waits for the engine thread, bounded by the drain time plus a margin.</summary>
    public void Dispose()
    {
        var exited = StopAsync().Wait(TimeSpan.FromSeconds(_options.ShutdownTimeoutSeconds + 5));
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (!exited)
            {
                // The thread still runs and uses both; leave them to the finalizer rather than pull them from under it.
                _logger.LogWarning("The engine thread did not stop within {Seconds} s of disposal", _options.ShutdownTimeoutSeconds + 5);
                return;
            }
        }
        Metrics.Dispose();
        _ownedEvents?.Dispose();
        _stop.Dispose();
    }
}
