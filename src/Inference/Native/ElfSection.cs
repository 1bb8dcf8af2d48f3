namespace GqaService.Inference.Native;

internal sealed record ElfSection(uint Type, long Offset, long Size, uint Link, uint Info);
