using System.Buffers.Binary;
using System.Text;

namespace GqaService.Inference.Native;

/// <summary>
/// Removes one version requirement (for example <c>GLIBCXX_3.4.32</c>) from an ELF64 little-endian shared object's
/// <c>.gnu.version_r</c> table, and un-versions the symbols that referenced it. Used only when every such symbol is
/// in an allow-list of symbols known never to be called, so the edited library behaves exactly as the original.
/// </summary>
public static class ElfVersionNeedPatcher
{
    private const uint ShtDynSym = 11;
    private const uint ShtGnuVerNeed = 0x6ffffffe;
    private const uint ShtGnuVerSym = 0x6fffffff;
    private const ushort VersionIndexGlobal = 1;

    /// <summary>The version names a library's version-needs table asks for, per needed file.</summary>
    public static IReadOnlyList<(string File, string Version)> ListVersionNeeds(byte[] image)
    {
        var elf = ElfImage.Parse(image);
        var result = new List<(string, string)>();
        foreach (var need in elf.VersionNeeds())
        {
            foreach (var aux in need.Aux)
            {
                result.Add((need.File, aux.Name));
            }
        }
        return result;
    }

    /// <summary>
    /// Returns a patched copy of <paramref name="image"/> without the requirement <paramref name="version"/>, or null when the
    /// image does not ask for it. Throws when a symbol outside <paramref name="allowedSymbols"/> is bound to that version.
    /// </summary>
    public static byte[]? RemoveVersionNeed(byte[] image, string version, IReadOnlySet<string> allowedSymbols)
    {
        var elf = ElfImage.Parse(image);
        foreach (var need in elf.VersionNeeds())
        {
            for (var i = 0; i < need.Aux.Count; i++)
            {
                var aux = need.Aux[i];
                if (aux.Name != version)
                {
                    continue;
                }
                if (need.Aux.Count == 1)
                {
                    throw new InvalidDataException($"'{version}' is the only version needed from {need.File}; refusing to edit.");
                }

                var bound = elf.SymbolsWithVersionIndex(aux.VersionIndex);
                var unexpected = bound.Where(s => !allowedSymbols.Contains(s)).ToList();
                if (unexpected.Count > 0)
                {
                    throw new InvalidDataException(
                        $"'{version}' is used by symbols that may be called ({string.Join(", ", unexpected)}); refusing to edit.");
                }

                var patched = (byte[])image.Clone();
                var span = patched.AsSpan();
                if (i == 0)
                {
                    var newAux = need.AuxFieldValue + aux.Next;
                    BinaryPrimitives.WriteUInt32LittleEndian(span[(need.Offset + 8)..], newAux);
                }
                else
                {
                    var previous = need.Aux[i - 1];
                    var newNext = aux.Next == 0 ? 0 : previous.Next + aux.Next;
                    BinaryPrimitives.WriteUInt32LittleEndian(span[(previous.Offset + 12)..], newNext);
                }
                BinaryPrimitives.WriteUInt16LittleEndian(span[(need.Offset + 2)..], (ushort)(need.Aux.Count - 1));
                elf.ClearVersionIndex(span, aux.VersionIndex, VersionIndexGlobal);
                return patched;
            }
        }
        return null;
    }

    private sealed record VerAux(int Offset, string Name, ushort VersionIndex, uint Next);

    private sealed record VerNeed(int Offset, string File, uint AuxFieldValue, List<VerAux> Aux);

    private sealed record Section(uint Type, long Offset, long Size, uint Link, uint Info);

    private sealed class ElfImage
    {
        private readonly byte[] _image;
        private readonly List<Section> _sections;

        private ElfImage(byte[] image, List<Section> sections)
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
            var sections = new List<Section>(sectionCount);
            for (var i = 0; i < sectionCount; i++)
            {
                var h = span[(int)(sectionHeaderOffset + (long)i * sectionHeaderSize)..];
                sections.Add(new Section(
                    BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                    (long)BinaryPrimitives.ReadUInt64LittleEndian(h[0x18..]),
                    (long)BinaryPrimitives.ReadUInt64LittleEndian(h[0x20..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(h[0x28..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(h[0x2C..])));
            }
            return new ElfImage(image, sections);
        }

        public List<VerNeed> VersionNeeds()
        {
            var result = new List<VerNeed>();
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
                var aux = new List<VerAux>(count);
                var auxOffset = offset + (int)auxField;
                for (var a = 0; a < count; a++)
                {
                    var other = BinaryPrimitives.ReadUInt16LittleEndian(span[(auxOffset + 6)..]);
                    var name = ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(span[(auxOffset + 8)..]));
                    var auxNext = BinaryPrimitives.ReadUInt32LittleEndian(span[(auxOffset + 12)..]);
                    aux.Add(new VerAux(auxOffset, name, other, auxNext));
                    auxOffset += (int)auxNext;
                }
                result.Add(new VerNeed(offset, file, auxField, aux));
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

        private (Section DynSym, Section VerSym) SymbolTables()
        {
            var dynsym = _sections.FirstOrDefault(s => s.Type == ShtDynSym)
                ?? throw new InvalidDataException("ELF file has no dynamic symbol table.");
            var versym = _sections.FirstOrDefault(s => s.Type == ShtGnuVerSym)
                ?? throw new InvalidDataException("ELF file has no symbol version table.");
            return (dynsym, versym);
        }

        private string ReadString(Section strings, uint index)
        {
            var start = (int)(strings.Offset + index);
            var end = Array.IndexOf(_image, (byte)0, start);
            return Encoding.ASCII.GetString(_image, start, end - start);
        }
    }
}
