using System.Text;

namespace GqaService.Inference.Tests.Support;

/// <summary>
/// Writes GGUF v3 files from the format's definition (magic, version, counts, typed metadata, tensor table, aligned data),
/// independently of the service's reader, so tests can build the files no shared model provides.
/// </summary>
internal sealed class GgufWriter
{
    private const int Alignment = 32;
    private readonly List<(string Key, object Value)> _metadata = [];
    private readonly List<(string Name, long[] Dimensions, uint Type, byte[] Data)> _tensors = [];

    /// <summary>Values: string, uint, int, float, bool, or arrays of string, int, float.</summary>
    public GgufWriter Set(string key, object value)
    {
        _metadata.Add((key, value));
        return this;
    }

    /// <param name="dimensions">ggml's ne[], innermost first.</param>
    public GgufWriter AddTensor(string name, long[] dimensions, uint ggmlType, byte[] data)
    {
        _tensors.Add((name, dimensions, ggmlType, data));
        return this;
    }

    public void Save(string path) => File.WriteAllBytes(path, ToBytes());

    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Encoding.ASCII.GetBytes("GGUF"));
        writer.Write(3u);
        writer.Write((ulong)_tensors.Count);
        writer.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(writer, key);
            WriteValue(writer, value, withType: true);
        }
        ulong offset = 0;
        foreach (var (name, dimensions, type, data) in _tensors)
        {
            WriteString(writer, name);
            writer.Write((uint)dimensions.Length);
            foreach (var d in dimensions)
            {
                writer.Write((ulong)d);
            }
            writer.Write(type);
            writer.Write(offset);
            offset += Padded((ulong)data.Length);
        }
        writer.Write(new byte[Padded((ulong)stream.Position) - (ulong)stream.Position]);
        foreach (var (_, _, _, data) in _tensors)
        {
            writer.Write(data);
            writer.Write(new byte[Padded((ulong)data.Length) - (ulong)data.Length]);
        }
        writer.Flush();
        return stream.ToArray();
    }

    private static ulong Padded(ulong length) => (length + Alignment - 1) / Alignment * Alignment;

    private static void WriteString(BinaryWriter writer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static void WriteValue(BinaryWriter writer, object value, bool withType)
    {
        void Type(uint type)
        {
            if (withType)
            {
                writer.Write(type);
            }
        }
        switch (value)
        {
            case byte b: Type(0); writer.Write(b); break;
            case uint u: Type(4); writer.Write(u); break;
            case int i: Type(5); writer.Write(i); break;
            case float f: Type(6); writer.Write(f); break;
            case bool flag: Type(7); writer.Write(flag); break;
            case string s: Type(8); WriteString(writer, s); break;
            case ulong l: Type(10); writer.Write(l); break;
            case string[] strings: WriteArray(writer, 8, strings, withType); break;
            case int[] ints: WriteArray(writer, 5, ints, withType); break;
            case float[] floats: WriteArray(writer, 6, floats, withType); break;
            default: throw new ArgumentException($"no GGUF type for {value.GetType()}");
        }
    }

    private static void WriteArray<T>(BinaryWriter writer, uint elementType, T[] items, bool withType) where T : notnull
    {
        if (withType)
        {
            writer.Write(9u);
        }
        writer.Write(elementType);
        writer.Write((ulong)items.Length);
        foreach (var item in items)
        {
            WriteValue(writer, item, withType: false);
        }
    }
}
