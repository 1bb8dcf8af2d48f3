namespace GqaService.Api.Contracts;

/// <summary>A cached session: its tokens stay in the KV cache between turns.</summary>
public sealed record SessionDto
{
    /// <example>chat-42</example>
    public required string Id { get; init; }
    /// <example>session</example>
    public string Object { get; init; } = "session";
    /// <example>120</example>
    public int Tokens { get; init; }
    /// <example>8</example>
    public int Blocks { get; init; }
    public long Bytes { get; init; }
    public DateTimeOffset LastUsed { get; init; }
    /// <summary>A request of this session is running now.</summary>
    public bool Active { get; init; }
}
