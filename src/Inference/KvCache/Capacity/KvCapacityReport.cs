namespace GqaService.Inference.KvCache.Capacity;

/// <summary>What a context of <see cref="Context"/> tokens costs in KV memory under GQA, MHA and MQA, and how many fit.</summary>
public sealed record KvCapacityReport(KvCapacityShape Shape, int DtypeBytes, int Context, IReadOnlyList<KvCapacityLayout> Layouts);
