namespace GqaService.Inference.Scheduling;

/// <summary>One sequence's share of a step: compute its next <see cref="TokenCount"/> pending tokens.</summary>
public sealed record ScheduledWork(Sequence Sequence, int TokenCount);
