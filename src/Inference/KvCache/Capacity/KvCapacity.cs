using System.Globalization;

namespace GqaService.Inference.KvCache.Capacity;

/// <summary>
/// KV capacity arithmetic, exact in integers: K and V per layer per KV head per dimension, times the element size, per
/// token; a sequence takes whole blocks; a budget holds whole blocks. The same formula as
/// <see cref="Model.ModelConfig.KvBytesPerToken"/>, which the pool is sized by. Pure.
/// </summary>
public static class KvCapacity
{
    /// <summary>Element sizes of the KV dtypes a pool may hold.</summary>
    public static readonly IReadOnlyDictionary<string, int> DtypeBytes = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["float32"] = 4,
        ["float16"] = 2,
        ["bfloat16"] = 2,
        ["int8"] = 1,
    };

    public static KvCapacityReport Compute(KvCapacityShape shape, int context, long? poolBytes, long? budgetBytes)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfLessThan(context, 1);
        var dtypeBytes = DtypeBytes.TryGetValue(shape.Dtype, out var bytes)
            ? bytes
            : throw new ArgumentException($"Unknown KV dtype '{shape.Dtype}'.", nameof(shape));
        var layouts = new List<KvCapacityLayout> { Layout("gqa", shape.KvHeads, shape, dtypeBytes, context, poolBytes, budgetBytes) };
        layouts.Add(Layout("mha", shape.Heads, shape, dtypeBytes, context, poolBytes, budgetBytes));
        layouts.Add(Layout("mqa", 1, shape, dtypeBytes, context, poolBytes, budgetBytes));
        return new KvCapacityReport(shape, dtypeBytes, context, layouts);
    }

    private static KvCapacityLayout Layout(string name, int kvHeads, KvCapacityShape shape, int dtypeBytes, int context, long? poolBytes, long? budgetBytes)
    {
        var perToken = 2L * shape.Layers * kvHeads * shape.HeadDim * dtypeBytes;
        var blocks = (context + shape.BlockSize - 1) / shape.BlockSize;
        var perBlock = perToken * shape.BlockSize;
        var perSequence = blocks * perBlock;
        return new KvCapacityLayout(
            name,
            kvHeads,
            perToken,
            $"2 (K and V) × {shape.Layers} layers × {kvHeads} KV heads × {shape.HeadDim} head_dim × {dtypeBytes} bytes ({shape.Dtype}) = {N(perToken)} bytes",
            blocks,
            $"ceil({N(context)} tokens / {shape.BlockSize} per block) = {N(blocks)} blocks",
            perSequence,
            $"{N(blocks)} blocks × {shape.BlockSize} tokens × {N(perToken)} bytes = {N(perSequence)} bytes",
            poolBytes is { } pool ? Fit(pool, perBlock, blocks, shape.BlockSize) : null,
            budgetBytes is { } budget ? Fit(budget, perBlock, blocks, shape.BlockSize) : null);
    }

    private static KvCapacityFit Fit(long bytes, long perBlock, int blocksPerSequence, int blockSize)
    {
        var blocks = bytes / perBlock;
        var sequences = blocks / blocksPerSequence;
        return new KvCapacityFit(bytes, blocks, sequences, blocks * blockSize,
            $"floor({N(bytes)} bytes / {N(perBlock)} bytes per block) = {N(blocks)} blocks = {N(blocks * blockSize)} tokens; " +
            $"floor({N(blocks)} / {N(blocksPerSequence)} blocks per sequence) = {N(sequences)} sequences");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
