namespace GqaService.Inference.Loading.Gguf;

/// <summary>ggml tensor types (the numbering of ggml.h) that the loader dequantises; any other is refused by number.</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q8_0 = 8,
    Q4_K = 12,
    Q6_K = 14,
    BF16 = 30,
}
