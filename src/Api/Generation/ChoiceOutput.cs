namespace GqaService.Api.Generation;

/// <summary>One finished choice of a non-streamed answer.</summary>
public sealed record ChoiceOutput(int Index, string Text, IReadOnlyList<int>? TokenIds, IReadOnlyList<RenderedLogprob>? Logprobs, string FinishReason);
