using GqaService.Inference.Sampling;

namespace GqaService.Inference.Engine;

/// <summary>A whole generation gathered from its event stream: ids, text and exactly one of finished or failed.</summary>
public sealed record GenerationResult(IReadOnlyList<int> TokenIds, string Text, GenerationFinished? Finished, GenerationFailed? Failed)
{
    /// <summary>Each token's logprobs, in order, when the request asked for them (empty otherwise).</summary>
    public IReadOnlyList<TokenLogprobs> Logprobs { get; init; } = [];

    /// <summary>Reads a handle's events to the end.</summary>
    public static async Task<GenerationResult> CollectAsync(GenerationHandle handle, CancellationToken cancellationToken = default)
    {
        var ids = new List<int>();
        var logprobs = new List<TokenLogprobs>();
        var text = new System.Text.StringBuilder();
        await foreach (var generationEvent in handle.Events.ReadAllAsync(cancellationToken))
        {
            switch (generationEvent)
            {
                case TokenGenerated token:
                    ids.Add(token.TokenId);
                    text.Append(token.TextDelta);
                    if (token.Logprobs is { } tokenLogprobs)
                    {
                        logprobs.Add(tokenLogprobs);
                    }
                    break;
                case GenerationFinished finished:
                    text.Append(finished.TextDelta);
                    return new GenerationResult(ids, text.ToString(), finished, null) { Logprobs = logprobs };
                case GenerationFailed failed:
                    return new GenerationResult(ids, text.ToString(), null, failed) { Logprobs = logprobs };
            }
        }
        throw new InvalidOperationException($"The event stream of {handle.RequestId} ended without a final event.");
    }

    /// <summary>Reads every choice of a request to the end, in choice order.</summary>
    public static Task<GenerationResult[]> CollectChoicesAsync(GenerationHandle handle, CancellationToken cancellationToken = default) =>
        Task.WhenAll(handle.Choices.Select(choice => CollectAsync(choice, cancellationToken)));
}
