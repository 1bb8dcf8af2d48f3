namespace GqaService.Api.Cli;

/// <summary>Parsed switches of the <c>perplexity</c> verb. Paths are absolute (resolved against the user's directory).</summary>
public sealed record PerplexityArguments(string? ModelPath, string? TokenizerPath, string? TextFile, IReadOnlyList<int>? TokenIds, int? Stride, int KvHeads, int MaxContext);
