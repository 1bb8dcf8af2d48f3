namespace GqaService.Inference.Native;

internal sealed record ElfVersionAux(int Offset, string Name, ushort VersionIndex, uint Next);
