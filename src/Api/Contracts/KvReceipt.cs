namespace GqaService.Api.Contracts;

/// <summary>Extension: what this request cost in KV-cache memory.</summary>
public sealed record KvReceipt
{
    /// <example>5</example>
    public int BlocksAllocated { get; init; }
    /// <summary>With n &gt; 1: the prompt's blocks, prefilled once and shared by every choice (forked, not copied); 0 for n = 1.</summary>
    /// <example>0</example>
    public int SharedBlocks { get; init; }
    /// <summary>Blocks held at the peak, a block shared by several choices counted once.</summary>
    /// <example>20480</example>
    public long PeakKvBytes { get; init; }
    /// <example>0</example>
    public int Preemptions { get; init; }
    /// <example>0</example>
    public int RecomputedTokens { get; init; }
    /// <summary>Prompt tokens whose KV came from the session, a running request's blocks or the prefix cache, so they were
    /// neither allocated nor computed (as <c>prompt_tokens_details.cached_tokens</c>).</summary>
    /// <example>0</example>
    public int CachedTokens { get; init; }
}
