namespace GqaService.Inference.KvCache.Capacity;

/// <summary>The attention shape KV memory depends on, and how the pool is cut into blocks.</summary>
public sealed record KvCapacityShape(int Layers, int Heads, int KvHeads, int HeadDim, string Dtype, int BlockSize);
