using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace GqaService.Inference.Tests.Support;

/// <summary>Writes safetensors files (header length, JSON header, data) from raw tensor bytes.</summary>
internal sealed class SafetensorsWriter
{
    private readonly List<(string Name, string DType, long[] Shape, byte[] Data)> _tensors = [];

    public SafetensorsWriter AddF32(string name, long[] shape, float[] values) =>
        Add(name, "F32", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public SafetensorsWriter Add(string name, string dtype, long[] shape, byte[] data)
    {
        _tensors.Add((name, dtype, shape, data));
        return this;
    }

    /// <summary><paramref name="headerLengthAdjustment"/> lets tests lie about the header length.</summary>
    public byte[] ToBytes(long headerLengthAdjustment = 0)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, dtype, shape, data) in _tensors)
        {
            header[name] = new { dtype, shape, data_offsets = new[] { offset, offset + data.Length } };
            offset += data.Length;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var result = new byte[8 + json.Length + offset];
        BinaryPrimitives.WriteInt64LittleEndian(result, json.Length + headerLengthAdjustment);
        json.CopyTo(result, 8);
        var at = 8 + json.Length;
        foreach (var tensor in _tensors)
        {
            tensor.Data.CopyTo(result, at);
            at += tensor.Data.Length;
        }
        return result;
    }

    public void Write(string path, long headerLengthAdjustment = 0) => File.WriteAllBytes(path, ToBytes(headerLengthAdjustment));
}
