namespace GqaService.Inference.Engine;

/// <summary>The request could not complete: <paramref name="Code"/> is machine-readable (deadline_exceeded, kv_cache_exhausted, shutting_down, engine_failed).</summary>
public sealed record GenerationFailed(string Code, string Message) : GenerationEvent
{
    /// <summary>The engine, the one owner of deadlines, ended the request because its deadline passed.</summary>
    public const string DeadlineExceeded = "deadline_exceeded";
}
