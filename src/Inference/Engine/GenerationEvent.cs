namespace GqaService.Inference.Engine;

/// <summary>What the engine tells a request's reader, in order: tokens, then exactly one <see cref="GenerationFinished"/> or <see cref="GenerationFailed"/>.</summary>
public abstract record GenerationEvent;

/// <summary>One new token. <paramref name="TextDelta"/> holds only complete UTF-8 characters (may be empty while a character is split across tokens).</summary>
public sealed record TokenGenerated(int TokenId, string TextDelta) : GenerationEvent;

public sealed record GenerationFinished(FinishReason Reason, GenerationUsage Usage, string TextDelta = "") : GenerationEvent;

public sealed record GenerationFailed(string Code, string Message) : GenerationEvent;
