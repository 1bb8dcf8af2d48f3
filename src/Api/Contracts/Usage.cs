namespace GqaService.Api.Contracts;

/// <summary>Token counts as OpenAI reports them, plus the KV-cache receipt of this request.</summary>
public sealed record Usage
{
    /// <example>12</example>
    public int PromptTokens { get; init; }
    /// <example>64</example>
    public int CompletionTokens { get; init; }
    /// <example>76</example>
    public int TotalTokens { get; init; }
    public required PromptTokensDetails PromptTokensDetails { get; init; }
    public required KvReceipt Kv { get; init; }
}
