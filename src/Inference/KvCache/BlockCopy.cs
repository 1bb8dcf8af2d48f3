namespace GqaService.Inference.KvCache;

/// <summary>
/// Copy-on-write order for the engine: before writing new K/V, copy the first <paramref name="Slots"/> slots
/// (all layers, K and V) of <paramref name="SourceBlock"/> into <paramref name="DestinationBlock"/>.
/// </summary>
public readonly record struct BlockCopy(int SourceBlock, int DestinationBlock, int Slots);
