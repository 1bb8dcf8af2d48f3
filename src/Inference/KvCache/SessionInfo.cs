namespace GqaService.Inference.KvCache;

/// <summary>A cached session as the outside sees it.</summary>
public sealed record SessionInfo(string SessionId, int Tokens, int Blocks, long Bytes, DateTimeOffset LastUsed, bool Active);
