namespace GqaService.Inference.Engine.Events;

/// <summary>Running totals and levels the page charts over time (TokensSampled counts every sampled token, an EOS included); the totals only grow, so a rate is a difference over time.</summary>
public sealed record EngineStats(long TokensSampled, long Preemptions, int Running, int Waiting, int BlocksUsed, int BlocksTotal, long BytesUsed);
