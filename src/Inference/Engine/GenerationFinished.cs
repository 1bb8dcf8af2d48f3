namespace GqaService.Inference.Engine;

/// <summary>The request ended normally (or was cancelled); <paramref name="TextDelta"/> is text held back until the end.</summary>
public sealed record GenerationFinished(FinishReason Reason, GenerationUsage Usage, string TextDelta = "") : GenerationEvent
{
    /// <summary>A scoring request's result (<see cref="GenerationRequest.Scoring"/>); null for generations.</summary>
    public PromptScore? Score { get; init; }
}
