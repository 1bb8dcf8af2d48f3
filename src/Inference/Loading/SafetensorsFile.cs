using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace GqaService.Inference.Loading;

/// <summary>
/// A safetensors file: an 8-byte little-endian header length, a JSON header (dtype, shape, data_offsets per tensor),
/// then the raw data. Reads F32, F16 and BF16 tensors as float32.
/// </summary>
internal sealed class SafetensorsFile : IDisposable
{
    private const long MaxHeaderLength = 100L << 20;
    private readonly FileStream _stream;
    private readonly long _dataStart;

    private SafetensorsFile(string path, FileStream stream, long dataStart, Dictionary<string, SafetensorsTensorInfo> tensors)
    {
        Path = path;
        _stream = stream;
        _dataStart = dataStart;
        Tensors = tensors;
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors { get; }

    public static SafetensorsFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        try
        {
            Span<byte> lengthBytes = stackalloc byte[8];
            if (stream.Length < lengthBytes.Length)
            {
                throw new ModelLoadException(path, $"truncated: a safetensors file needs at least 8 bytes, found {stream.Length}.");
            }
            stream.ReadExactly(lengthBytes);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > (ulong)(stream.Length - 8) || headerLength > MaxHeaderLength)
            {
                throw new ModelLoadException(path, $"safetensors header length {headerLength} exceeds the file ({stream.Length} bytes).");
            }
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            var dataStart = 8 + (long)headerLength;
            var tensors = SafetensorsHeaderParser.Parse(path, header, stream.Length - dataStart);
            return new SafetensorsFile(path, stream, dataStart, tensors);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The tensor's values widened to float32, written straight into <paramref name="target"/> (a tensor's own storage).</summary>
    /// <param name="elementOffset">The first value to read (a row boundary when the tensor is filled in pieces).</param>
    public void ReadFloat32(SafetensorsTensorInfo info, long elementOffset, Span<float> target)
    {
        switch (info.DType)
        {
            case "F32":
                NativeTensors.ReadFloat32(_stream, _dataStart + info.Begin + elementOffset * 4, target, Path, info.Name);
                break;
            case "F16":
            case "BF16":
                NativeTensors.ReadWidened(_stream, _dataStart + info.Begin + elementOffset * 2, target, info.DType == "BF16", Path, info.Name);
                break;
            default:
                throw new ModelLoadException(Path, $"tensor '{info.Name}' has dtype {info.DType}; only F32, F16 and BF16 are supported.");
        }
    }

    public float[] ReadFloat32(SafetensorsTensorInfo info)
    {
        var count = info.ElementCount;
        switch (info.DType)
        {
            case "F32":
                return FloatArrays.ReadLittleEndian(_stream, _dataStart + info.Begin, count, Path, info.Name);
            case "F16":
            case "BF16":
                var raw = new ushort[count];
                _stream.Seek(_dataStart + info.Begin, SeekOrigin.Begin);
                _stream.ReadExactly(MemoryMarshal.AsBytes(raw.AsSpan()));
                return info.DType == "F16" ? HalfPrecision.FromFloat16(raw) : HalfPrecision.FromBFloat16(raw);
            default:
                throw new ModelLoadException(Path, $"tensor '{info.Name}' has dtype {info.DType}; only F32, F16 and BF16 are supported.");
        }
    }

    public void Dispose() => _stream.Dispose();
}
