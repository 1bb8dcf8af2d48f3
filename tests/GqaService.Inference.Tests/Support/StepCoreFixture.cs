using System.Threading.Channels;
using GqaService.Inference.Engine;
using GqaService.Inference.Engine.Events;
using GqaService.Inference.KvCache;
using GqaService.Inference.Scheduling;
using Microsoft.Extensions.Logging.Abstractions;

namespace GqaService.Inference.Tests.Support;

/// <summary>
/// The engine's step machinery (scheduler, registry, output processor, step core) over a real block allocator and session
/// store, with a <see cref="FakeStepRunner"/> and a manual clock: steps run when the test calls <see cref="Step"/>.
/// </summary>
internal sealed class StepCoreFixture : IDisposable
{
    public const int EosTokenId = 2;
    private readonly EngineMetrics _metrics = new();
    private readonly Dictionary<string, ChannelReader<GenerationEvent>> _events = [];
    private readonly Dictionary<string, ActiveRequest> _requests = [];
    private long _arrivals;

    public StepCoreFixture(int totalBlocks, int blockSize, int maxBatchedTokens = 64, int prefillChunkSize = 64,
        int maxSequences = 16, TimeSpan? requestTimeout = null, int maxContext = 1024, bool prefixCaching = false)
    {
        Hub = new EngineEvents(Clock);
        var index = new PrefixBlockIndex(prefixCaching);
        Allocator = new BlockAllocator(totalBlocks, block => index.Forget(block));
        Sessions = new SessionStore(Allocator, index, blockSize, Clock, Leases);
        Scheduler = new Scheduler(new SchedulerLimits(maxSequences, maxBatchedTokens, prefillChunkSize, blockSize), Allocator, Sessions, Clock);
        var settings = new RequestRegistrySettings(requestTimeout ?? TimeSpan.Zero, TimeSpan.Zero, BytesPerBlock: 1000);
        Recorder = new EngineEventRecorder(Hub, Scheduler, Sessions, bytesPerBlock: 1000, Clock);
        Requests = new RequestRegistry(settings, Scheduler, Sessions, _metrics, Recorder, Clock, NullLogger.Instance, OnCompleted);
        var outputs = new OutputProcessor(Requests, _metrics, Clock, new HashSet<int> { EosTokenId }, maxContext);
        // One layer, one KV head of 8 for two query heads, float32: 64 bytes per token, 128 under MHA.
        var layout = new KvLayout(new GqaService.Inference.Model.ModelConfig { Dim = 16, NumLayers = 1, NumHeads = 2, NumKvHeads = 1, HiddenDim = 32, VocabSize = 16, MaxContext = maxContext },
            KvDtype.F32, blockSize);
        var publisher = new SnapshotPublisher(Scheduler, Sessions, layout, _metrics, Clock);
        Core = new StepCore(Scheduler, Runner, Requests, outputs, publisher, Recorder, _metrics, new StepTracing(Allocator));
    }

    public ManualTimeProvider Clock { get; } = new();
    /// <summary>The engine event hub the step machinery publishes to; subscribe before submitting to see everything.</summary>
    public EngineEvents Hub { get; }
    public EngineEventRecorder Recorder { get; }
    public SessionLeases Leases { get; } = new();
    public BlockAllocator Allocator { get; }
    public SessionStore Sessions { get; }
    public Scheduler Scheduler { get; }
    public RequestRegistry Requests { get; }
    public FakeStepRunner Runner { get; } = new();
    public StepCore Core { get; }
    public List<string> Completed { get; } = [];

    /// <summary>Submits and admits a request as the engine does (the session lease is taken on submission).</summary>
    public string Submit(int promptLength, int maxTokens, string? session = null, DateTimeOffset? deadline = null, string? id = null,
        IReadOnlyList<int>? prompt = null, string tenant = "")
    {
        id ??= $"r{_arrivals + 1}";
        if (session is not null && !Leases.TryAcquire(new("", session)))
        {
            throw new SessionBusyException(session);
        }
        var request = new GenerationRequest
        {
            RequestId = id,
            // Distinct per request, so no two prompts share a prefix block unless a test passes one.
            PromptTokenIds = prompt ?? Enumerable.Range(0, promptLength).Select(i => 3 + (int)((i * 7 + _arrivals * 13) % 90)).ToArray(),
            MaxTokens = maxTokens,
            SessionId = session,
            Deadline = deadline,
            Tenant = tenant,
        };
        var channel = Channel.CreateUnbounded<GenerationEvent>();
        var active = new ActiveRequest(new Sequence(request, ++_arrivals, Clock.GetUtcNow()), channel.Writer, text: null);
        _events[id] = channel.Reader;
        _requests[id] = active;
        Requests.Admit(active);
        return id;
    }

    /// <summary>
    /// Submits a request with <paramref name="choices"/> choices as the engine does: choice 0 under <paramref name="id"/>,
    /// the others parked on it under <c>id#i</c>. Returns every choice's id.
    /// </summary>
    public IReadOnlyList<string> SubmitChoices(string id, int promptLength, int maxTokens, int choices)
    {
        var request = new GenerationRequest
        {
            RequestId = id,
            PromptTokenIds = Enumerable.Range(0, promptLength).Select(i => 3 + i % 90).ToArray(),
            MaxTokens = maxTokens,
        };
        var ids = new List<string>();
        ActiveRequest? leader = null;
        for (var choice = 0; choice < choices; choice++)
        {
            var choiceId = choice == 0 ? id : InferenceEngine.ChoiceRequestId(id, choice);
            var channel = Channel.CreateUnbounded<GenerationEvent>();
            var active = new ActiveRequest(new Sequence(request with { RequestId = choiceId }, ++_arrivals, Clock.GetUtcNow()), channel.Writer, text: null);
            _events[choiceId] = channel.Reader;
            _requests[choiceId] = active;
            ids.Add(choiceId);
            if (leader is null)
            {
                leader = active;
            }
            else
            {
                leader.ParkedChoices.Add(active);
            }
        }
        Requests.Admit(leader!);
        return ids;
    }

    public void Cancel(string id) => Requests.Cancel(_requests[id]);

    public Sequence SequenceOf(string id) => _requests[id].Sequence;

    public RecordedStep? Step()
    {
        var before = Runner.Steps.Count;
        Core.Step();
        return Runner.Steps.Count > before ? Runner.Steps[^1] : null;
    }

    /// <summary>Steps until nothing is in flight (bounded).</summary>
    public void RunToCompletion(int maxSteps = 10_000)
    {
        for (var i = 0; i < maxSteps && Requests.Count > 0; i++)
        {
            Core.Step();
        }
        Assert.Equal(0, Requests.Count);
    }

    /// <summary>Everything the request has streamed so far; the last event is final once it completed.</summary>
    public List<GenerationEvent> Events(string id)
    {
        var events = new List<GenerationEvent>();
        while (_events[id].TryRead(out var next))
        {
            events.Add(next);
        }
        return events;
    }

    private void OnCompleted(ActiveRequest request)
    {
        Completed.Add(request.Id);
        if (request.Sequence.Request.Session is { } session)
        {
            Leases.Release(session);
        }
    }

    public void Dispose()
    {
        Hub.Dispose();
        _metrics.Dispose();
    }
}
