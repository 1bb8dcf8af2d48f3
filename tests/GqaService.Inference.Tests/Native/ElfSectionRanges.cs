using System.Buffers.Binary;

namespace GqaService.Inference.Tests.Native;

/// <summary>File ranges of ELF64 sections by type, read independently of the patcher under test.</summary>
internal static class ElfSectionRanges
{
    public const uint GnuVersionNeeds = 0x6ffffffe;
    public const uint GnuVersionSymbols = 0x6fffffff;

    public static List<(long Start, long End)> OfType(byte[] image, uint type)
    {
        var span = image.AsSpan();
        var headers = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        var headerSize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        var ranges = new List<(long, long)>();
        for (var i = 0; i < count; i++)
        {
            var header = span[(int)(headers + i * headerSize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) == type)
            {
                var offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]);
                ranges.Add((offset, offset + (long)BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..])));
            }
        }
        return ranges;
    }
}
