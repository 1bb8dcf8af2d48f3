namespace GqaService.Api.Contracts;

/// <summary>One message of a chat request.</summary>
public sealed class ChatMessageInput
{
    /// <summary>system, developer, user or assistant.</summary>
    /// <example>user</example>
    public string? Role { get; init; }

    /// <summary>A string, or an array of {"type":"text","text":...} parts.</summary>
    public MessageContent? Content { get; init; }

    public string? Name { get; init; }
}
