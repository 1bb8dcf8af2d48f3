namespace GqaService.Inference.KvCache.Capacity;

/// <summary>How much of one layout a byte budget holds: whole blocks, whole full-context sequences, token slots.</summary>
public sealed record KvCapacityFit(long Bytes, long Blocks, long Sequences, long Tokens, string Arithmetic);
