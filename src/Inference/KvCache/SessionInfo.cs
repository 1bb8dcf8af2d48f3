namespace GqaService.Inference.KvCache;

/// <summary>A cached session as the outside sees it; <paramref name="Tenant"/> is whose it is (never shown to another tenant).</summary>
public sealed record SessionInfo(string SessionId, int Tokens, int Blocks, long Bytes, DateTimeOffset LastUsed, bool Active, string Tenant = "");
