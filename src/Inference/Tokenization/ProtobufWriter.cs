using System.Buffers.Binary;
using System.Text;

namespace GqaService.Inference.Tokenization;

/// <summary>The few protocol-buffer wire types a SentencePiece <c>ModelProto</c> needs: varints, 32-bit floats, strings, nested messages.</summary>
internal sealed class ProtobufWriter
{
    private readonly MemoryStream _bytes = new();

    public void Varint(int field, ulong value)
    {
        Key(field, 0);
        Raw(value);
    }

    public void Float(int field, float value)
    {
        Key(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _bytes.Write(bytes);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Message(int field, ProtobufWriter message) => Bytes(field, message.ToArray());

    public byte[] ToArray() => _bytes.ToArray();

    private void Bytes(int field, byte[] value)
    {
        Key(field, 2);
        Raw((ulong)value.Length);
        _bytes.Write(value);
    }

    private void Key(int field, int wireType) => Raw(((ulong)field << 3) | (uint)wireType);

    private void Raw(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.WriteByte((byte)value);
    }
}
