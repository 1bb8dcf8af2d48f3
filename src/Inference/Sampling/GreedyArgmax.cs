using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GqaService.Inference.Kernels;
using static TorchSharp.torch;

namespace GqaService.Inference.Sampling;

/// <summary>
/// The greedy token of every row of float32 logits, read in place from the tensor's memory with vector compares: no copy,
/// no libtorch call. Measured on a 2-core EPYC (Zen 5), one thread's CPU time: libtorch's <c>nan_to_num(-inf).argmax(1)</c>
/// plus the id copy took 556 µs over 16 × 32,000 logits and 37 µs over 1 × 32,000 (nan_to_num writes a full copy first,
/// and the argmax reduction is slow); this takes 102 and 7.4 µs, and 3 µs instead of 15 over 16 × 512.
/// Semantics are the sampler's: ties go to the lowest id and NaN never wins (a NaN compares false, so it is never kept);
/// a row with nothing above −∞ picks its first −∞ entry, and a row of NaN only picks id 0. Stateless and thread-safe.
/// </summary>
internal static class GreedyArgmax
{
    /// <summary>True when <see cref="Rows"/> can read <paramref name="logits"/> in place: contiguous float32 [rows, vocab] on the CPU.</summary>
    public static bool CanRead(Tensor logits) =>
        logits.dim() == 2 && logits.dtype == ScalarType.Float32 && logits.device_type == TorchSharp.DeviceType.CPU && logits.is_contiguous()
        && logits.shape[1] is > 0 and <= int.MaxValue;

    /// <summary>The id of each row's largest logit; <paramref name="logits"/> must satisfy <see cref="CanRead"/>.</summary>
    public static unsafe int[] Rows(Tensor logits)
    {
        if (!CanRead(logits))
        {
            throw new ArgumentException("Expected contiguous float32 CPU logits [rows, vocab].", nameof(logits));
        }
        var rows = checked((int)logits.shape[0]);
        var vocab = (int)logits.shape[1];
        var first = (float*)TensorMemory.Address(logits);
        var ids = new int[rows];
        for (var row = 0; row < rows; row++)
        {
            ids[row] = Of(new ReadOnlySpan<float>(first + (long)row * vocab, vocab));
        }
        return ids;
    }

    /// <summary>The id of the largest value of one row (the semantics above).</summary>
    public static int Of(ReadOnlySpan<float> row)
    {
        var best = -1;
        var bestValue = float.NegativeInfinity;
        var i = 0;
        if (Vector256.IsHardwareAccelerated && row.Length >= 2 * Vector256<float>.Count)
        {
            // Each lane keeps its own running maximum and the index where it first reached it (strictly greater
            // replaces, so a lane keeps its lowest index among equals); the lanes are then merged, equal values going
            // to the lowest index. A lane that never saw a value above −∞ keeps index −1 and is skipped.
            var width = Vector256<float>.Count;
            ref var start = ref MemoryMarshal.GetReference(row);
            var maxima = Vector256.Create(float.NegativeInfinity);
            var indices = Vector256.Create(-1);
            var lanes = Vector256<int>.Indices;
            var stride = Vector256.Create(width);
            for (; i <= row.Length - width; i += width)
            {
                var values = Vector256.LoadUnsafe(ref start, (nuint)i);
                var greater = Vector256.GreaterThan(values, maxima);
                maxima = Vector256.ConditionalSelect(greater, values, maxima);
                indices = Vector256.ConditionalSelect(greater.AsInt32(), lanes, indices);
                lanes += stride;
            }
            for (var lane = 0; lane < width; lane++)
            {
                var (index, value) = (indices[lane], maxima[lane]);
                if (index >= 0 && (value > bestValue || (value == bestValue && index < best)))
                {
                    (best, bestValue) = (index, value);
                }
            }
        }
        // The tail's indices are above every vector-read one, so strictly greater keeps ties at the lowest id.
        for (; i < row.Length; i++)
        {
            if (row[i] > bestValue)
            {
                (best, bestValue) = (i, row[i]);
            }
        }
        if (best >= 0)
        {
            return best;
        }
        for (var j = 0; j < row.Length; j++)
        {
            if (!float.IsNaN(row[j]))
            {
                return j;
            }
        }
        return 0;
    }
}
