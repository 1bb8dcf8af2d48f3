namespace GqaService.Inference.KvCache;

/// <summary>One registered block of the <see cref="PrefixBlockIndex"/>: its key (parent registration, tenant, tokens),
/// the serial its own children name, and the physical parent it followed when registered (for diagnostics).</summary>
internal readonly record struct PrefixBlockEntry(long Serial, long ParentSerial, int ParentBlock, string Tenant, int[] Tokens, int Hash);
