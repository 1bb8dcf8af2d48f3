namespace GqaService.Api.Contracts;

public sealed record PromptTokensDetails
{
    /// <summary>Prompt tokens whose KV was reused (session, a running request's blocks, or the prefix cache) instead of recomputed.</summary>
    /// <example>8</example>
    public int CachedTokens { get; init; }
}
