namespace GqaService.Api.Cli;

/// <summary>Parsed switches of the <c>generate</c> verb. Paths are absolute (resolved against the user's directory).</summary>
public sealed record GenerateArguments(
    string? ModelPath, string? TokenizerPath, IReadOnlyList<int>? PromptIds, string? PromptText,
    int MaxTokens, float Temperature, float TopP, int TopK, ulong? Seed, bool IgnoreEos)
{
    /// <summary>Inference:KvHeads for this run: regroup the model's K/V heads to this many at load; 0 keeps them.</summary>
    public int KvHeads { get; init; }
}
