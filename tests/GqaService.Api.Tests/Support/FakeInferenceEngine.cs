using System.Collections.Concurrent;
using System.Threading.Channels;
using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;
using GqaService.Inference.Limits;
using GqaService.Inference.Model;
using GqaService.Inference.Tokenization;

namespace GqaService.Api.Tests.Support;

/// <summary>
/// A scripted engine: emits <see cref="Script"/> one character per token (token id = character code), honours max_tokens,
/// and can be told to refuse (<see cref="ThrowOnSubmit"/>), stall, pause mid-stream or fail. Records what it was sent and
/// when it was cancelled. Its <see cref="Limits"/> come from <see cref="Options"/> as the real engine's do, and it guards
/// <see cref="Submit"/> with the same validator, so an API that let through what the engine refuses fails the test.
/// </summary>
internal sealed class FakeInferenceEngine : IInferenceEngine
{
    public const int VocabSize = 128;
    public const int MaxContext = 64;

    private readonly ConcurrentDictionary<string, TaskCompletionSource<DateTimeOffset>> _cancellations = new();

    public ModelDescription Model { get; set; } = new("fake-gqa", new ModelConfig
    {
        Dim = 16, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, HiddenDim = 32, VocabSize = VocabSize, MaxContext = MaxContext,
    }, IsDemo: true, HasTokenizer: true, ParameterCount: 1234, Source: "fake");

    public ITextTokenizer? Tokenizer { get; set; } = new FakeTokenizer();

    /// <summary>The "Inference" options the limits derive from (set MaxContext to cap the context below the model's).</summary>
    public EngineOptions Options { get; set; } = new();

    public int KvPoolTokens { get; set; } = 64 * 16;

    public ServingLimits Limits => ServingLimits.Create(Options, Model.Config, Tokenizer is not null, KvPoolTokens);
    public bool IsReady { get; set; } = true;
    public string Script { get; set; } = " Hello world";
    public Exception? ThrowOnSubmit { get; set; }
    public TimeSpan TokenDelay { get; set; }
    public bool StallBeforeFirstToken { get; set; }
    public int? PauseAfterTokens { get; set; }
    public int? FailAfterTokens { get; set; }
    /// <summary>After this many tokens the fake ends the request as the engine does when its deadline passes.</summary>
    public int? DeadlineAfterTokens { get; set; }
    public string FailureCode { get; set; } = "fake_failure";
    public int CachedPromptTokens { get; set; }
    public ConcurrentQueue<GenerationRequest> Submitted { get; } = new();
    public ConcurrentDictionary<string, SessionInfo> Sessions { get; } = new();
    public MemorySnapshot Memory { get; set; } = new() { BlockSize = 16, BlocksTotal = 64, BlocksFree = 64, BytesPerBlock = 1024, BytesTotal = 65536 };

    public GenerationHandle Submit(GenerationRequest request)
    {
        if (ThrowOnSubmit is { } refusal)
        {
            throw refusal;
        }
        if (GenerationRequestValidator.Validate(request, Limits) is { Count: > 0 } errors)
        {
            throw new InvalidGenerationRequestException(errors);
        }
        Submitted.Enqueue(request);
        var events = Channel.CreateUnbounded<GenerationEvent>();
        var cancellation = new CancellationTokenSource();
        var cancelled = _cancellations.GetOrAdd(request.RequestId, _ => new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously));
        _ = Task.Run(() => ProduceAsync(request, events.Writer, cancellation.Token));
        return new GenerationHandle(request.RequestId, events.Reader, () =>
        {
            cancelled.TrySetResult(DateTimeOffset.UtcNow);
            cancellation.Cancel();
        });
    }

    /// <summary>Completes when the request is cancelled (the API disposes every handle, so finished requests complete too).</summary>
    public Task<DateTimeOffset> CancelledAsync(string requestId) =>
        _cancellations.GetOrAdd(requestId, _ => new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public MemorySnapshot GetMemorySnapshot() => Memory with { Sessions = Sessions.Values.ToList() };

    public IReadOnlyList<SessionInfo> ListSessions(string tenant) => Sessions.Values.Where(s => s.Tenant == tenant).ToList();

    public SessionInfo? GetSession(string tenant, string sessionId) =>
        Sessions.TryGetValue(sessionId, out var session) && session.Tenant == tenant ? session : null;

    public Task<bool> DeleteSessionAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        if (GetSession(tenant, sessionId) is not { } session)
        {
            return Task.FromResult(false);
        }
        if (session.Active)
        {
            throw new SessionBusyException(sessionId);
        }
        return Task.FromResult(Sessions.TryRemove(sessionId, out _));
    }

    private async Task ProduceAsync(GenerationRequest request, ChannelWriter<GenerationEvent> writer, CancellationToken cancellationToken)
    {
        var emitted = 0;
        try
        {
            if (StallBeforeFirstToken)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            foreach (var character in Script.Take(request.MaxTokens))
            {
                if (DeadlineAfterTokens == emitted)
                {
                    writer.TryWrite(new GenerationFailed(GenerationFailed.DeadlineExceeded, "The request passed its deadline."));
                    return;
                }
                if (FailAfterTokens == emitted)
                {
                    writer.TryWrite(new GenerationFailed(FailureCode, "The fake engine was told to fail."));
                    return;
                }
                if (PauseAfterTokens == emitted)
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                if (TokenDelay > TimeSpan.Zero)
                {
                    await Task.Delay(TokenDelay, cancellationToken);
                }
                writer.TryWrite(new TokenGenerated(character, character.ToString()));
                emitted++;
            }
            var reason = emitted == request.MaxTokens ? FinishReason.Length : FinishReason.Stop;
            writer.TryWrite(new GenerationFinished(reason, Usage(request, emitted)));
        }
        catch (OperationCanceledException)
        {
            writer.TryWrite(new GenerationFinished(FinishReason.Cancelled, Usage(request, emitted)));
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private GenerationUsage Usage(GenerationRequest request, int emitted)
    {
        var tokens = request.PromptTokenIds.Count + emitted;
        var blocks = (tokens + 15) / 16;
        return new GenerationUsage
        {
            PromptTokens = request.PromptTokenIds.Count,
            CompletionTokens = emitted,
            CachedPromptTokens = CachedPromptTokens,
            KvBlocksAllocated = blocks,
            PeakKvBytes = blocks * 1024L,
            Preemptions = 0,
            RecomputedTokens = 0,
        };
    }
}
