namespace GqaService.Api.Contracts;

/// <summary>
/// One generated token: its text, natural-log probability under the model's raw logits (before logit_bias, penalties and
/// temperature), its UTF-8 bytes, and the <c>top_logprobs</c> most likely alternatives, most likely first.
/// </summary>
public sealed record ChatTokenLogprob
{
    /// <example> Once</example>
    public required string Token { get; init; }
    /// <example>-0.25</example>
    public required double Logprob { get; init; }
    /// <example>[32, 79, 110, 99, 101]</example>
    public required IReadOnlyList<int> Bytes { get; init; }
    public required IReadOnlyList<ChatTopLogprob> TopLogprobs { get; init; }
}
