using System.Buffers.Binary;
using System.Text;

namespace GqaService.Inference.Native;

/// <summary>Just enough of an ELF64 little-endian image to read and edit its symbol versioning.</summary>
internal sealed class ElfImage
{
    private const uint ShtDynSym = 11;
    private const uint ShtGnuVerNeed = 0x6ffffffe;
    private const uint ShtGnuVerSym = 0x6fffffff;

    private readonly byte[] _image;
    private readonly List<ElfSection> _sections;

    private ElfImage(byte[] image, List<ElfSection> sections)
    {
        _image = image;
        _sections = sections;
    }

    public static ElfImage Parse(byte[] image)
    {
        if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
        {
            throw new InvalidDataException("Not an ELF file.");
        }
        if (image[4] != 2 || image[5] != 1)
        {
            throw new InvalidDataException("Only 64-bit little-endian ELF files are supported.");
        }
        var span = image.AsSpan();
        var sectionHeaderOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        var sectionHeaderSize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        var sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        if (sectionHeaderOffset + (long)sectionHeaderSize * sectionCount > image.Length)
        {
            throw new InvalidDataException("ELF section headers lie outside the file.");
        }
        var sections = new List<ElfSection>(sectionCount);
        for (var i = 0; i < sectionCount; i++)
        {
            var h = span[(int)(sectionHeaderOffset + (long)i * sectionHeaderSize)..];
            sections.Add(new ElfSection(
                BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                (long)BinaryPrimitives.ReadUInt64LittleEndian(h[0x18..]),
                (long)BinaryPrimitives.ReadUInt64LittleEndian(h[0x20..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[0x28..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[0x2C..])));
        }
        return new ElfImage(image, sections);
    }

    public List<ElfVersionNeed> VersionNeeds()
    {
        var result = new List<ElfVersionNeed>();
        var section = _sections.FirstOrDefault(s => s.Type == ShtGnuVerNeed);
        if (section is null)
        {
            return result;
        }
        var strings = _sections[(int)section.Link];
        var span = _image.AsSpan();
        var offset = (int)section.Offset;
        for (var n = 0; n < section.Info; n++)
        {
            var count = BinaryPrimitives.ReadUInt16LittleEndian(span[(offset + 2)..]);
            var file = ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 4)..]));
            var auxField = BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 8)..]);
            var next = BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 12)..]);
            var aux = new List<ElfVersionAux>(count);
            var auxOffset = offset + (int)auxField;
            for (var a = 0; a < count; a++)
            {
                var other = BinaryPrimitives.ReadUInt16LittleEndian(span[(auxOffset + 6)..]);
                var name = ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(span[(auxOffset + 8)..]));
                var auxNext = BinaryPrimitives.ReadUInt32LittleEndian(span[(auxOffset + 12)..]);
                aux.Add(new ElfVersionAux(auxOffset, name, other, auxNext));
                auxOffset += (int)auxNext;
            }
            result.Add(new ElfVersionNeed(offset, file, auxField, aux));
            if (next == 0)
            {
                break;
            }
            offset += (int)next;
        }
        return result;
    }

    public List<string> SymbolsWithVersionIndex(ushort versionIndex)
    {
        var (dynsym, versym) = SymbolTables();
        var strings = _sections[(int)dynsym.Link];
        var span = _image.AsSpan();
        var names = new List<string>();
        var count = (int)(dynsym.Size / 24);
        for (var i = 0; i < count; i++)
        {
            var index = BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(versym.Offset + 2 * i)..]) & 0x7fff;
            if (index == versionIndex)
            {
                names.Add(ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(dynsym.Offset + 24 * i)..])));
            }
        }
        return names;
    }

    public void ClearVersionIndex(Span<byte> target, ushort versionIndex, ushort replacement)
    {
        var (dynsym, versym) = SymbolTables();
        var count = (int)(dynsym.Size / 24);
        for (var i = 0; i < count; i++)
        {
            var at = (int)(versym.Offset + 2 * i);
            if ((BinaryPrimitives.ReadUInt16LittleEndian(target[at..]) & 0x7fff) == versionIndex)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(target[at..], replacement);
            }
        }
    }

    private (ElfSection DynSym, ElfSection VerSym) SymbolTables()
    {
        var dynsym = _sections.FirstOrDefault(s => s.Type == ShtDynSym)
            ?? throw new InvalidDataException("ELF file has no dynamic symbol table.");
        var versym = _sections.FirstOrDefault(s => s.Type == ShtGnuVerSym)
            ?? throw new InvalidDataException("ELF file has no symbol version table.");
        return (dynsym, versym);
    }

    private string ReadString(ElfSection strings, uint index)
    {
        var start = (int)(strings.Offset + index);
        var end = Array.IndexOf(_image, (byte)0, start);
        return Encoding.ASCII.GetString(_image, start, end - start);
    }
}
