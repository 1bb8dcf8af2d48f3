using System.Runtime.InteropServices;
using GqaService.Inference.Model;
using static TorchSharp.torch;

namespace GqaService.Inference.Precision;

/// <summary>
/// Float32 matrices to and from <see cref="Q8_0Weight"/> blocks, as llama.cpp's <c>quantize_row_q8_0_ref</c> does it (what
/// <c>llama-quantize</c> writes): per block of 32 values d = max|x| / 127, q = round-half-away(x / d), d stored as float16.
/// Re-quantising a dequantised Q8_0 matrix gives back its blocks, so a GGUF Q8_0 file widened at load and quantised again
/// holds llama.cpp's own quants.
/// </summary>
public static class Q8_0Quantizer
{
    /// <summary>Rows per slice when reading or writing tensor storage through spans (a span holds at most 2 GiB).</summary>
    private const long SliceBytes = 256L << 20;

    /// <summary>
    /// Whether a matrix with rows of <paramref name="inFeatures"/> values can be held as Q8_0: whole blocks, and no wider
    /// than the native kernel takes (<see cref="Kernels.NativeKernels.Q8_0MaxInFeatures"/>).
    /// </summary>
    public static bool CanQuantize(long inFeatures) =>
        inFeatures > 0 && inFeatures % Q8_0Weight.BlockSize == 0 && inFeatures <= Kernels.NativeKernels.Q8_0MaxInFeatures;

    /// <summary>New int8 quants [N, K] and float16 scales [N, K/32] of a float32 matrix; the caller owns both.</summary>
    public static (Tensor Quants, Tensor Scales) Quantize(Tensor matrix)
    {
        if (matrix.dim() != 2 || matrix.dtype != ScalarType.Float32 || !CanQuantize(matrix.shape[1]))
        {
            throw new ArgumentException($"Q8_0 quantises float32 matrices whose rows are a multiple of {Q8_0Weight.BlockSize} long (at most {Kernels.NativeKernels.Q8_0MaxInFeatures}); got {matrix.dtype} [{string.Join(", ", matrix.shape)}].", nameof(matrix));
        }
        long rows = matrix.shape[0], columns = matrix.shape[1];
        using var source = matrix.contiguous();
        var quants = empty([rows, columns], ScalarType.Int8);
        var scales = empty([rows, columns / Q8_0Weight.BlockSize], ScalarType.Float16);
        var rowsPerSlice = Math.Max(1, SliceBytes / (columns * sizeof(float)));
        for (long row = 0; row < rows; row += rowsPerSlice)
        {
            var count = Math.Min(rowsPerSlice, rows - row);
            using var from = source.narrow(0, row, count);
            using var toQuants = quants.narrow(0, row, count);
            using var toScales = scales.narrow(0, row, count);
            QuantizeBlocks(MemoryMarshal.Cast<byte, float>(from.bytes), MemoryMarshal.Cast<byte, sbyte>(toQuants.bytes),
                MemoryMarshal.Cast<byte, Half>(toScales.bytes));
        }
        return (quants, scales);
    }

    /// <summary>A new float32 matrix d·q of the blocks.</summary>
    public static Tensor Dequantize(Q8_0Weight weight)
    {
        long rows = weight.OutFeatures, columns = weight.InFeatures;
        var result = empty([rows, columns], ScalarType.Float32);
        var rowsPerSlice = Math.Max(1, SliceBytes / (columns * sizeof(float)));
        for (long row = 0; row < rows; row += rowsPerSlice)
        {
            var count = Math.Min(rowsPerSlice, rows - row);
            using var quants = weight.Quants.narrow(0, row, count);
            using var scales = weight.Scales.narrow(0, row, count);
            using var to = result.narrow(0, row, count);
            DequantizeBlocks(MemoryMarshal.Cast<byte, sbyte>(quants.bytes), MemoryMarshal.Cast<byte, Half>(scales.bytes),
                MemoryMarshal.Cast<byte, float>(to.bytes));
        }
        return result;
    }

    /// <summary>llama.cpp's quantize_row_q8_0_ref over whole blocks.</summary>
    public static void QuantizeBlocks(ReadOnlySpan<float> values, Span<sbyte> quants, Span<Half> scales)
    {
        for (var block = 0; block < scales.Length; block++)
        {
            var x = values.Slice(block * Q8_0Weight.BlockSize, Q8_0Weight.BlockSize);
            var amax = 0f;
            foreach (var value in x)
            {
                amax = MathF.Max(amax, MathF.Abs(value));
            }
            var d = amax / 127f;
            var inverse = d != 0f ? 1f / d : 0f;
            scales[block] = (Half)d;
            var q = quants.Slice(block * Q8_0Weight.BlockSize, Q8_0Weight.BlockSize);
            for (var c = 0; c < Q8_0Weight.BlockSize; c++)
            {
                q[c] = (sbyte)MathF.Round(x[c] * inverse, MidpointRounding.AwayFromZero);
            }
        }
    }

    public static void DequantizeBlocks(ReadOnlySpan<sbyte> quants, ReadOnlySpan<Half> scales, Span<float> values)
    {
        for (var block = 0; block < scales.Length; block++)
        {
            var d = (float)scales[block];
            for (var c = 0; c < Q8_0Weight.BlockSize; c++)
            {
                values[block * Q8_0Weight.BlockSize + c] = d * quants[block * Q8_0Weight.BlockSize + c];
            }
        }
    }
}
