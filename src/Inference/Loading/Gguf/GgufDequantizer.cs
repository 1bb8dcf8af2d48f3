using System.Buffers.Binary;

namespace GqaService.Inference.Loading.Gguf;

/// <summary>Widens GGUF tensor data to float32, block by block as ggml lays it out.</summary>
internal static class GgufDequantizer
{
    public const int BlockSize = 32;
    /// <summary>Q8_0: one float16 scale d, then 32 signed bytes q; x = d * q.</summary>
    public const int Q8_0BlockBytes = 2 + 32;
    /// <summary>Q4_0: one float16 scale d, then 16 bytes of nibbles; x[j] = d * (low(q[j]) - 8), x[j + 16] = d * (high(q[j]) - 8).</summary>
    public const int Q4_0BlockBytes = 2 + 16;

    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> data, Span<float> output)
    {
        switch (type)
        {
            case GgmlType.F32:
                for (var i = 0; i < output.Length; i++) output[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                break;
            case GgmlType.F16:
                for (var i = 0; i < output.Length; i++) output[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]);
                break;
            case GgmlType.BF16:
                for (var i = 0; i < output.Length; i++) output[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]) << 16);
                break;
            case GgmlType.Q8_0:
                for (var block = 0; block < output.Length / BlockSize; block++)
                {
                    var bytes = data.Slice(block * Q8_0BlockBytes, Q8_0BlockBytes);
                    var scale = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes);
                    for (var j = 0; j < BlockSize; j++) output[block * BlockSize + j] = scale * (sbyte)bytes[2 + j];
                }
                break;
            case GgmlType.Q4_0:
                for (var block = 0; block < output.Length / BlockSize; block++)
                {
                    var bytes = data.Slice(block * Q4_0BlockBytes, Q4_0BlockBytes);
                    var scale = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes);
                    for (var j = 0; j < BlockSize / 2; j++)
                    {
                        output[block * BlockSize + j] = scale * ((bytes[2 + j] & 0x0F) - 8);
                        output[block * BlockSize + j + BlockSize / 2] = scale * ((bytes[2 + j] >> 4) - 8);
                    }
                }
                break;
            default:
                throw new InvalidOperationException($"cannot dequantise {type}");
        }
    }
}
