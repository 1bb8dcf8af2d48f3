using GqaService.Inference.Sampling;

namespace GqaService.Inference.Engine;

/// <summary>
/// One new token. <paramref name="TextDelta"/> holds only complete UTF-8 characters (may be empty while a character is split
/// across tokens). <paramref name="Logprobs"/> is set when the request asked for logprobs.
/// </summary>
public sealed record TokenGenerated(int TokenId, string TextDelta, TokenLogprobs? Logprobs = null) : GenerationEvent;
