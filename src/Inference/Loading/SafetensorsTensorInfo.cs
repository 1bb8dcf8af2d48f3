namespace GqaService.Inference.Loading;

/// <summary>One entry of a safetensors header; offsets are relative to the data section that follows the header.</summary>
internal sealed record SafetensorsTensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

    public static int ElementSize(string dtype) => dtype switch
    {
        "F32" => 4,
        "F16" or "BF16" => 2,
        _ => 0,
    };
}
