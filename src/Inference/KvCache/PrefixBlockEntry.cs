namespace GqaService.Inference.KvCache;

/// <summary>One registered block of the <see cref="PrefixBlockIndex"/>: its key (parent registration, tenant, tokens) and
/// the serial its own children name.</summary>
internal readonly record struct PrefixBlockEntry(long Serial, long ParentSerial, string Tenant, int[] Tokens, int Hash);
