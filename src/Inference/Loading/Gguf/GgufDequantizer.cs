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
    /// <summary>K-quant super-blocks hold 256 values (ggml's QK_K).</summary>
    public const int SuperBlockSize = 256;
    /// <summary>Q4_K: f16 d, f16 dmin, 12 bytes of eight 6-bit scales and mins, 128 bytes of nibbles.</summary>
    public const int Q4_KBlockBytes = 2 + 2 + 12 + 128;
    /// <summary>Q6_K: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 int8 scales, f16 d.</summary>
    public const int Q6_KBlockBytes = 128 + 64 + 16 + 2;

    /// <summary>Values per block of a type (1 for the unquantised ones).</summary>
    public static int ValuesPerBlock(GgmlType type) => type switch
    {
        GgmlType.Q8_0 or GgmlType.Q4_0 => BlockSize,
        GgmlType.Q4_K or GgmlType.Q6_K => SuperBlockSize,
        _ => 1,
    };

    /// <summary>Bytes per block of a type.</summary>
    public static int BytesPerBlock(GgmlType type) => type switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 or GgmlType.BF16 => 2,
        GgmlType.Q8_0 => Q8_0BlockBytes,
        GgmlType.Q4_0 => Q4_0BlockBytes,
        GgmlType.Q4_K => Q4_KBlockBytes,
        GgmlType.Q6_K => Q6_KBlockBytes,
        _ => throw new InvalidOperationException($"no block size for {type}"),
    };

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
            case GgmlType.Q4_K:
                for (var block = 0; block < output.Length / SuperBlockSize; block++)
                {
                    DequantizeQ4_K(data.Slice(block * Q4_KBlockBytes, Q4_KBlockBytes), output.Slice(block * SuperBlockSize, SuperBlockSize));
                }
                break;
            case GgmlType.Q6_K:
                for (var block = 0; block < output.Length / SuperBlockSize; block++)
                {
                    DequantizeQ6_K(data.Slice(block * Q6_KBlockBytes, Q6_KBlockBytes), output.Slice(block * SuperBlockSize, SuperBlockSize));
                }
                break;
            default:
                throw new InvalidOperationException($"cannot dequantise {type}");
        }
    }

    /// <summary>
    /// ggml's dequantize_row_q4_K: eight sub-blocks of 32; sub-blocks 2g and 2g+1 share 32 bytes of nibbles (low, then
    /// high); x = d * scale - dmin * min, with 6-bit scale and min packed as get_scale_min_k4 unpacks them.
    /// </summary>
    private static void DequantizeQ4_K(ReadOnlySpan<byte> block, Span<float> output)
    {
        var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
        var dmin = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
        var scales = block.Slice(4, 12);
        var quants = block.Slice(16, 128);
        for (var group = 0; group < 4; group++)
        {
            var (scaleLow, minLow) = ScaleMin(scales, 2 * group);
            var (scaleHigh, minHigh) = ScaleMin(scales, 2 * group + 1);
            float d1 = d * scaleLow, m1 = dmin * minLow, d2 = d * scaleHigh, m2 = dmin * minHigh;
            var q = quants.Slice(32 * group, 32);
            var y = output.Slice(64 * group, 64);
            for (var l = 0; l < 32; l++)
            {
                y[l] = d1 * (q[l] & 0x0F) - m1;
                y[l + 32] = d2 * (q[l] >> 4) - m2;
            }
        }
    }

    private static (int Scale, int Min) ScaleMin(ReadOnlySpan<byte> scales, int j) => j < 4
        ? (scales[j] & 63, scales[j + 4] & 63)
        : ((scales[j + 4] & 0x0F) | ((scales[j - 4] >> 6) << 4), (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));

    /// <summary>
    /// ggml's dequantize_row_q6_K: two halves of 128; in each, 6-bit values from a low nibble and two high bits, minus 32,
    /// times d and the int8 scale of their 16-value group.
    /// </summary>
    private static void DequantizeQ6_K(ReadOnlySpan<byte> block, Span<float> output)
    {
        var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block[208..]);
        for (var half = 0; half < 2; half++)
        {
            var ql = block.Slice(64 * half, 64);
            var qh = block.Slice(128 + 32 * half, 32);
            var sc = block.Slice(192 + 8 * half, 8);
            var y = output.Slice(128 * half, 128);
            for (var l = 0; l < 32; l++)
            {
                var group = l / 16;
                var q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
                var q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
                var q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                var q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * (sbyte)sc[group] * q1;
                y[l + 32] = d * (sbyte)sc[group + 2] * q2;
                y[l + 64] = d * (sbyte)sc[group + 4] * q3;
                y[l + 96] = d * (sbyte)sc[group + 6] * q4;
            }
        }
    }
}
