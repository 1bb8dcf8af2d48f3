namespace GqaService.Inference.Engine;

/// <summary>A whole generation gathered from its event stream: ids, text and exactly one of finished or failed.</summary>
public sealed record GenerationResult(IReadOnlyList<int> TokenIds, string Text, GenerationFinished? Finished, GenerationFailed? Failed)
{
    /// <summary>Reads a handle's events to the end.</summary>
    public static async Task<GenerationResult> CollectAsync(GenerationHandle handle, CancellationToken cancellationToken = default)
    {
        var ids = new List<int>();
        var text = new System.Text.StringBuilder();
        await foreach (var generationEvent in handle.Events.ReadAllAsync(cancellationToken))
        {
            switch (generationEvent)
            {
                case TokenGenerated token:
                    ids.Add(token.TokenId);
                    text.Append(token.TextDelta);
                    break;
                case GenerationFinished finished:
                    text.Append(finished.TextDelta);
                    return new GenerationResult(ids, text.ToString(), finished, null);
                case GenerationFailed failed:
                    return new GenerationResult(ids, text.ToString(), null, failed);
            }
        }
        throw new InvalidOperationException($"The event stream of {handle.RequestId} ended without a final event.");
    }
}
