using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace GqaService.Inference.Loading;

/// <summary>
/// Weights go from the file straight into libtorch's memory: a float32 tensor is allocated first and filled through a span
/// over its own storage, so loading never holds a managed copy of a tensor beside the native one (peak load memory is the
/// weights once, plus a small reading buffer).
/// </summary>
internal static class NativeTensors
{
    /// <summary>Values widened per chunk when a file stores 16-bit floats (bytes read into a managed buffer of this many values).</summary>
    public const int ChunkValues = 1 << 18;

    /// <summary>Tensors up to this many bytes are filled through one span over their storage (a span holds at most 2 GiB).</summary>
    public const long DirectFillLimitBytes = int.MaxValue;

    /// <summary>
    /// A new float32 tensor of <paramref name="shape"/> whose values <paramref name="fill"/> writes in place: it is called with
    /// an element offset and the span to fill from there. A tensor larger than <paramref name="directFillLimitBytes"/> (an 8B
    /// model's embedding) is filled in whole rows through a staging tensor of at most 256 MiB at a time.
    /// </summary>
    public static Tensor Float32(long[] shape, string path, string name, Action<long, Span<float>> fill, long directFillLimitBytes = DirectFillLimitBytes)
    {
        var count = shape.Aggregate(1L, (a, b) => checked(a * b));
        var result = empty(shape, ScalarType.Float32);
        try
        {
            if (count * sizeof(float) <= directFillLimitBytes)
            {
                fill(0, MemoryMarshal.Cast<byte, float>(result.bytes));
                return result;
            }
            var rowLength = shape.Length == 0 ? 1 : shape[^1];
            var rows = count / rowLength;
            var rowsPerChunk = Math.Max(1, Math.Min(directFillLimitBytes, 256L << 20) / sizeof(float) / rowLength);
            using var flat = result.view(rows, rowLength);
            for (long row = 0; row < rows; row += rowsPerChunk)
            {
                var chunkRows = Math.Min(rowsPerChunk, rows - row);
                using var staging = empty([chunkRows, rowLength], ScalarType.Float32);
                fill(row * rowLength, MemoryMarshal.Cast<byte, float>(staging.bytes));
                using var slice = flat.narrow(0, row, chunkRows);
                slice.copy_(staging);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Reads <paramref name="target"/>.Length little-endian float32 values at <paramref name="offset"/> straight into it.</summary>
    public static void ReadFloat32(Stream stream, long offset, Span<float> target, string path, string name)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Model files are little-endian; big-endian hosts are not supported.");
        }
        stream.Seek(offset, SeekOrigin.Begin);
        try
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(target));
        }
        catch (EndOfStreamException e)
        {
            throw new ModelLoadException(path, $"truncated while reading '{name}'.", e);
        }
    }

    /// <summary>Reads 16-bit floats (IEEE half, or bfloat16) chunk by chunk, widening each into <paramref name="target"/>.</summary>
    public static void ReadWidened(Stream stream, long offset, Span<float> target, bool bfloat16, string path, string name)
    {
        stream.Seek(offset, SeekOrigin.Begin);
        var buffer = new ushort[Math.Min(ChunkValues, target.Length)];
        for (var at = 0; at < target.Length; at += buffer.Length)
        {
            var chunk = buffer.AsSpan(0, Math.Min(buffer.Length, target.Length - at));
            try
            {
                stream.ReadExactly(MemoryMarshal.AsBytes(chunk));
            }
            catch (EndOfStreamException e)
            {
                throw new ModelLoadException(path, $"truncated while reading '{name}'.", e);
            }
            var output = target.Slice(at, chunk.Length);
            for (var i = 0; i < chunk.Length; i++)
            {
                output[i] = bfloat16 ? BitConverter.Int32BitsToSingle(chunk[i] << 16) : (float)BitConverter.UInt16BitsToHalf(chunk[i]);
            }
        }
    }
}
