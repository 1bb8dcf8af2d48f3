namespace GqaService.Inference.Loading.Gguf;

/// <summary>One tensor of a GGUF file. <paramref name="Dimensions"/> are ggml's ne[], innermost first (a [rows, columns] matrix is [columns, rows]).</summary>
/// <param name="Offset">Bytes from the start of the file's data section.</param>
internal sealed record GgufTensorInfo(string Name, long[] Dimensions, GgmlType Type, long Offset)
{
    public long ElementCount => Dimensions.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>The shape in PyTorch's order (outermost first).</summary>
    public long[] Shape => Dimensions.Reverse().ToArray();

    /// <summary>Bytes the tensor occupies; quantised types store whole blocks (32 values, 256 for K-quants) along each row.</summary>
    public long ByteCount => ElementCount / GgufDequantizer.ValuesPerBlock(Type) * GgufDequantizer.BytesPerBlock(Type);
}
