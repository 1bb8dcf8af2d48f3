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
}
