namespace GqaService.Api.Observability;

/// <summary>The one Information line per generation request. Never logs prompt or output text.</summary>
internal static partial class CompletionLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "Completion {RequestId} {Endpoint} session={SessionId} stream={Stream} outcome={Outcome} tokens_in={PromptTokens} tokens_out={CompletionTokens} cached={CachedTokens} ttft_ms={TtftMs} duration_ms={DurationMs} finish={FinishReason}")]
    public static partial void Completed(ILogger logger, string requestId, string endpoint, string? sessionId, bool stream, string outcome,
        int promptTokens, int completionTokens, int cachedTokens, double? ttftMs, double durationMs, string? finishReason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Generation {RequestId} failed in the engine: {Code} {Message}")]
    public static partial void EngineFailed(ILogger logger, string requestId, string code, string message);
}
