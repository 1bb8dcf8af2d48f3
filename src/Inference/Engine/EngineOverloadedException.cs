namespace GqaService.Inference.Engine;

/// <summary>The waiting queue is full; <see cref="RetryAfter"/> estimates when capacity frees up (maps to HTTP 429).</summary>
public sealed class EngineOverloadedException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
