namespace GqaService.Inference.Scheduling;

public sealed record SchedulerLimits(int MaxSequencesPerStep, int MaxBatchedTokens, int PrefillChunkSize, int BlockSize);
