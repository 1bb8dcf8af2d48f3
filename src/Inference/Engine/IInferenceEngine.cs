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

    MemorySnapshot GetMemorySnapshot();

    IReadOnlyList<SessionInfo> ListSessions();

    SessionInfo? GetSession(string sessionId);

    /// <summary>Releases a session's KV blocks. False when there is no such session; throws <see cref="SessionBusyException"/> while it runs.</summary>
    Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default);
}
