namespace GqaService.Inference.Loading.Gguf;

/// <summary>One tensor of a GGUF file. <paramref name="Dimensions"/> are ggml's ne[], innermost first (a [rows, columns] matrix is [columns, rows]).</summary>
/// <param name="Offset">Bytes from the start of the file's data section.</param>
internal sealed record GgufTensorInfo(string Name, long[] Dimensions, GgmlType Type, long Offset)
{
    public long ElementCount => Dimensions.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>The shape in PyTorch's order (outermost first).</summary>
    public long[] Shape => Dimensions.Reverse().ToArray();

    /// <summary>Bytes the tensor occupies; quantised types store whole 32-value blocks along each row.</summary>
    public long ByteCount => Type switch
    {
        GgmlType.F32 => ElementCount * 4,
        GgmlType.F16 or GgmlType.BF16 => ElementCount * 2,
        GgmlType.Q8_0 => ElementCount / GgufDequantizer.BlockSize * GgufDequantizer.Q8_0BlockBytes,
        GgmlType.Q4_0 => ElementCount / GgufDequantizer.BlockSize * GgufDequantizer.Q4_0BlockBytes,
        _ => throw new InvalidOperationException($"no size for {Type}"),
    };
}
