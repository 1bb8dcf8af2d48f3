namespace GqaService.Api.Contracts;

/// <summary>Extension: what this request cost in KV-cache memory.</summary>
public sealed record KvReceipt
{
    /// <example>5</example>
    public int BlocksAllocated { get; init; }
    /// <example>20480</example>
    public long PeakKvBytes { get; init; }
    /// <example>0</example>
    public int Preemptions { get; init; }
    /// <example>0</example>
    public int RecomputedTokens { get; init; }
}
