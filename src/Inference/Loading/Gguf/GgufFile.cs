using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;

namespace GqaService.Inference.Loading.Gguf;

/// <summary>
/// A GGUF file (versions 2 and 3), memory-mapped: the header, metadata and tensor table are parsed once, tensor data is
/// read straight from the mapping when asked for. Anything malformed is refused with the file and the reason.
/// </summary>
internal sealed unsafe class GgufFile : IDisposable
{
    private const uint Magic = 0x46554747; // "GGUF" little-endian
    private const long DefaultAlignment = 32;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _length;
    private readonly long _dataStart;

    private GgufFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long length)
    {
        Path = path;
        _map = map;
        _view = view;
        _length = length;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
        var cursor = new Cursor(this);
        try
        {
            if (length < 24 || cursor.UInt32() != Magic)
            {
                throw new ModelLoadException(path, "not a GGUF file (bad magic).");
            }
            Version = cursor.UInt32();
            if (Version is not (2 or 3))
            {
                throw new ModelLoadException(path, $"GGUF version {Version} is not supported (only 2 and 3).");
            }
            var tensorCount = cursor.Count("tensor count");
            var metadataCount = cursor.Count("metadata count");
            var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
            for (long i = 0; i < metadataCount; i++)
            {
                var key = cursor.String();
                metadata[key] = cursor.Value(cursor.UInt32(), key);
            }
            Metadata = metadata;
            var tensors = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
            for (long i = 0; i < tensorCount; i++)
            {
                var name = cursor.String();
                var dimensions = cursor.UInt32();
                if (dimensions is 0 or > 4)
                {
                    throw new ModelLoadException(path, $"tensor '{name}' has {dimensions} dimensions (1 to 4 expected).");
                }
                var shape = new long[dimensions];
                for (var d = 0; d < shape.Length; d++)
                {
                    shape[d] = cursor.Count($"dimension {d} of tensor '{name}'");
                }
                var typeNumber = cursor.UInt32();
                if (!Enum.IsDefined(typeof(GgmlType), typeNumber))
                {
                    throw new ModelLoadException(path, $"tensor '{name}' has ggml type {typeNumber}, which is not supported (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K).");
                }
                var info = new GgufTensorInfo(name, shape, (GgmlType)typeNumber, cursor.Count($"offset of tensor '{name}'"));
                if (shape[0] % GgufDequantizer.ValuesPerBlock(info.Type) != 0)
                {
                    throw new ModelLoadException(path,
                        $"tensor '{name}' of type {info.Type} has rows of {shape[0]} values, not whole {GgufDequantizer.ValuesPerBlock(info.Type)}-value blocks.");
                }
                tensors[name] = info;
            }
            Tensors = tensors;
            var alignment = metadata.TryGetValue("general.alignment", out var a) ? Convert.ToInt64(a) : DefaultAlignment;
            if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
            {
                throw new ModelLoadException(path, $"general.alignment {alignment} is not a power of two.");
            }
            _dataStart = (cursor.Position + alignment - 1) / alignment * alignment;
            foreach (var info in tensors.Values)
            {
                if (info.Offset % alignment != 0 || _dataStart + info.Offset + info.ByteCount > length)
                {
                    throw new ModelLoadException(path,
                        $"tensor '{info.Name}' ({info.ByteCount} bytes at data offset {info.Offset}) lies outside the {length}-byte file or is misaligned (file truncated?).");
                }
            }
        }
        catch
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            throw;
        }
    }

    public string Path { get; }
    public uint Version { get; }
    public IReadOnlyDictionary<string, object> Metadata { get; } = new Dictionary<string, object>();
    public IReadOnlyDictionary<string, GgufTensorInfo> Tensors { get; } = new Dictionary<string, GgufTensorInfo>();

    public static GgufFile Open(string path)
    {
        var length = new FileInfo(path).Length;
        if (length == 0)
        {
            throw new ModelLoadException(path, "truncated: the file is empty.");
        }
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            return new GgufFile(path, map, view, length);
        }
        catch
        {
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>The tensor's values widened to float32, in PyTorch's row-major order.</summary>
    public float[] ReadFloat32(GgufTensorInfo info)
    {
        if (info.ByteCount > int.MaxValue || info.ElementCount > Array.MaxLength)
        {
            throw new ModelLoadException(Path, $"tensor '{info.Name}' is too large for one array.");
        }
        var values = GC.AllocateUninitializedArray<float>((int)info.ElementCount);
        GgufDequantizer.Dequantize(info.Type, new ReadOnlySpan<byte>(_base + _dataStart + info.Offset, (int)info.ByteCount), values);
        return values;
    }

    /// <summary>The tensor's values widened to float32 straight from the mapping into <paramref name="target"/> (a tensor's own storage).</summary>
    /// <param name="elementOffset">The first value to widen: a row boundary, so a whole block.</param>
    public void Dequantize(GgufTensorInfo info, long elementOffset, Span<float> target)
    {
        var perBlock = GgufDequantizer.ValuesPerBlock(info.Type);
        if (elementOffset % perBlock != 0 || target.Length % perBlock != 0 || elementOffset + target.Length > info.ElementCount)
        {
            throw new ModelLoadException(Path, $"tensor '{info.Name}': values {elementOffset}..{elementOffset + target.Length} are not whole blocks inside it.");
        }
        var start = elementOffset / perBlock * GgufDequantizer.BytesPerBlock(info.Type);
        var length = target.Length / perBlock * GgufDequantizer.BytesPerBlock(info.Type);
        GgufDequantizer.Dequantize(info.Type, new ReadOnlySpan<byte>(_base + _dataStart + info.Offset + start, length), target);
    }

    /// <summary>The tensor's bytes as stored (for checking dequantisation against an independent implementation).</summary>
    public byte[] RawBytes(GgufTensorInfo info) => new ReadOnlySpan<byte>(_base + _dataStart + info.Offset, checked((int)info.ByteCount)).ToArray();

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    /// <summary>Reads the header sequentially, refusing to run past the end of the file.</summary>
    private sealed class Cursor(GgufFile file)
    {
        public long Position { get; private set; }

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, "a 32-bit field"));

        public long Count(string what)
        {
            var value = BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
            return value > long.MaxValue / 2 ? throw new ModelLoadException(file.Path, $"{what} {value} is impossible.") : (long)value;
        }

        public string String()
        {
            var length = Count("string length");
            if (length > 1 << 30)
            {
                throw new ModelLoadException(file.Path, $"string length {length} is impossible.");
            }
            return Encoding.UTF8.GetString(Take((int)length, "a string"));
        }

        public object Value(uint type, string key)
        {
            switch (type)
            {
                case 0: return Take(1, key)[0];
                case 1: return (sbyte)Take(1, key)[0];
                case 2: return BinaryPrimitives.ReadUInt16LittleEndian(Take(2, key));
                case 3: return BinaryPrimitives.ReadInt16LittleEndian(Take(2, key));
                case 4: return UInt32();
                case 5: return BinaryPrimitives.ReadInt32LittleEndian(Take(4, key));
                case 6: return BinaryPrimitives.ReadSingleLittleEndian(Take(4, key));
                case 7: return Take(1, key)[0] != 0;
                case 8: return String();
                case 9:
                    var elementType = UInt32();
                    var count = Count($"length of array '{key}'");
                    if (count > file._length)
                    {
                        throw new ModelLoadException(file.Path, $"array '{key}' claims {count} elements, more than the file could hold.");
                    }
                    var items = new object[count];
                    for (long i = 0; i < count; i++)
                    {
                        items[i] = Value(elementType, key);
                    }
                    return items;
                case 10: return BinaryPrimitives.ReadUInt64LittleEndian(Take(8, key));
                case 11: return BinaryPrimitives.ReadInt64LittleEndian(Take(8, key));
                case 12: return BinaryPrimitives.ReadDoubleLittleEndian(Take(8, key));
                default: throw new ModelLoadException(file.Path, $"metadata '{key}' has unknown value type {type}.");
            }
        }

        private ReadOnlySpan<byte> Take(int count, string what)
        {
            if (Position + count > file._length)
            {
                throw new ModelLoadException(file.Path, $"truncated while reading {what} at byte {Position}.");
            }
            var span = new ReadOnlySpan<byte>(file._base + Position, count);
            Position += count;
            return span;
        }
    }
}
