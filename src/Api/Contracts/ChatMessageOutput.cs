namespace GqaService.Api.Contracts;

public sealed record ChatMessageOutput
{
    /// <example>assistant</example>
    public string Role { get; init; } = "assistant";
    /// <example>Once upon a time, there was a little girl</example>
    public required string Content { get; init; }
}
