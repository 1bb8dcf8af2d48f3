namespace GqaService.Inference.Loading;

/// <summary>Widening of 16-bit floats (raw little-endian bit patterns) to float32.</summary>
internal static class HalfPrecision
{
    public static float[] FromFloat16(ReadOnlySpan<ushort> bits)
    {
        var result = GC.AllocateUninitializedArray<float>(bits.Length);
        for (var i = 0; i < bits.Length; i++)
        {
            result[i] = (float)BitConverter.UInt16BitsToHalf(bits[i]);
        }
        return result;
    }

    /// <summary>bfloat16 is exactly the upper half of a float32, so widening is a shift.</summary>
    public static float[] FromBFloat16(ReadOnlySpan<ushort> bits)
    {
        var result = GC.AllocateUninitializedArray<float>(bits.Length);
        for (var i = 0; i < bits.Length; i++)
        {
            result[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
        }
        return result;
    }
}
