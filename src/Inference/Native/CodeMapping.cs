namespace GqaService.Inference.Native;

/// <summary>One executable file mapping of this process, as <c>/proc/self/smaps</c> lists it.</summary>
/// <param name="Start">First byte of the mapping.</param>
/// <param name="End">One past its last byte.</param>
/// <param name="ResidentBytes">Its pages mapped into this process now (smaps <c>Rss</c>).</param>
internal readonly record struct CodeMapping(ulong Start, ulong End, long ResidentBytes);
