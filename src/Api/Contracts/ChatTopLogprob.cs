namespace GqaService.Api.Contracts;

/// <summary>One alternative token at a position, with its natural-log probability and UTF-8 bytes.</summary>
public sealed record ChatTopLogprob
{
    /// <example> Once</example>
    public required string Token { get; init; }
    /// <example>-0.25</example>
    public required double Logprob { get; init; }
    /// <example>[32, 79, 110, 99, 101]</example>
    public required IReadOnlyList<int> Bytes { get; init; }
}
