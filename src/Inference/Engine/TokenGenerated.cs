namespace GqaService.Inference.Engine;

/// <summary>One new token. <paramref name="TextDelta"/> holds only complete UTF-8 characters (may be empty while a character is split across tokens).</summary>
public sealed record TokenGenerated(int TokenId, string TextDelta) : GenerationEvent;
