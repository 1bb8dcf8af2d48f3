using System.Runtime.InteropServices;

namespace GqaService.Inference.Loading;

/// <summary>Bulk reads of little-endian float32 data into managed arrays.</summary>
internal static class FloatArrays
{
    public static float[] ReadLittleEndian(Stream stream, long offset, long count, string path, string what)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Model files are little-endian; big-endian hosts are not supported.");
        }
        if (count > Array.MaxLength)
        {
            throw new ModelLoadException(path, $"'{what}' holds {count} values, more than one array can.");
        }
        var values = GC.AllocateUninitializedArray<float>((int)count);
        stream.Seek(offset, SeekOrigin.Begin);
        try
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        catch (EndOfStreamException e)
        {
            throw new ModelLoadException(path, $"truncated while reading '{what}'.", e);
        }
        return values;
    }
}
