namespace GqaService.Inference.Native;

internal sealed record ElfVersionNeed(int Offset, string File, uint AuxFieldValue, List<ElfVersionAux> Aux);
