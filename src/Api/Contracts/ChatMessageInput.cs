using System.Text.Json;
using System.Text.Json.Serialization;

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

    /// <summary>Fields not named above (tool_calls, tool_call_id, ... are refused by name).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? OtherFields { get; init; }
}
