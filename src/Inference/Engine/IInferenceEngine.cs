using GqaService.Inference.KvCache;
using GqaService.Inference.Limits;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Engine;

/// <summary>
/// The only door into the engine thread. Thread-safe; never exposes tensors.
/// </summary>
public interface IInferenceEngine
{
    ModelDescription Model { get; }

    /// <summary>Null when the model has no tokenizer (token-id prompts still work).</summary>
    ITextTokenizer? Tokenizer { get; }

    bool IsReady { get; }

    /// <summary>What a request may ask for, fixed once the model is loaded; throws <see cref="EngineUnavailableException"/> before.</summary>
    ServingLimits Limits { get; }

    /// <summary>
    /// Admits a request or refuses it at once: <see cref="InvalidGenerationRequestException"/> for input the engine can never
    /// serve, <see cref="EngineOverloadedException"/> when the waiting queue is full, <see cref="SessionBusyException"/> when its
    /// session already runs a request.
    /// </summary>
    GenerationHandle Submit(GenerationRequest request);

    /// <summary>The whole pool, every tenant's sessions included (operators and tests; never shown to a tenant as is).</summary>
    MemorySnapshot GetMemorySnapshot();

    /// <summary>The pool as <paramref name="tenant"/> may see it: the totals, and only its own sessions.</summary>
    MemorySnapshot GetMemorySnapshot(string tenant)
    {
        var all = GetMemorySnapshot();
        return all with { Sessions = [.. all.Sessions.Where(s => s.Tenant == tenant)] };
    }

    /// <summary>The sessions of <paramref name="tenant"/> (<c>""</c> when API keys are off); another tenant's are never listed.</summary>
    IReadOnlyList<SessionInfo> ListSessions(string tenant);

    /// <summary>The tenant's session of that id; null when it has none (whether or not another tenant uses the id).</summary>
    SessionInfo? GetSession(string tenant, string sessionId);

    /// <summary>Releases a session of <paramref name="tenant"/>. False when it has no such session (another tenant's is never
    /// touched); throws <see cref="SessionBusyException"/> while it runs.</summary>
    Task<bool> DeleteSessionAsync(string tenant, string sessionId, CancellationToken cancellationToken = default);
}
