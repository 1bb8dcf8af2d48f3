using System.Text.Json;
using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

/// <summary>POST /tokenize (vLLM's shape): a <c>prompt</c> string, or chat <c>messages</c> rendered as the chat endpoint renders them.</summary>
public sealed class TokenizeRequest
{
    /// <summary>Accepted for compatibility; the served model's tokenizer is used.</summary>
    public string? Model { get; init; }

    /// <summary>Text, encoded as /v1/completions encodes a text prompt.</summary>
    /// <example>Once upon a time</example>
    public string? Prompt { get; init; }

    /// <summary>A conversation, rendered with the model's chat template and encoded exactly as /v1/chat/completions does.</summary>
    public IReadOnlyList<ChatMessageInput?>? Messages { get; init; }

    /// <summary>With messages: end with the assistant's turn opening, as the chat endpoint always does (default true).</summary>
    /// <example>true</example>
    public bool? AddGenerationPrompt { get; init; }

    /// <summary>With prompt: prepend BOS where the tokenizer does (default true, as /v1/completions). Not with messages, whose template decides.</summary>
    /// <example>true</example>
    public bool? AddSpecialTokens { get; init; }

    /// <summary>Also return each token's text.</summary>
    /// <example>false</example>
    public bool? ReturnTokenStrs { get; init; }

    /// <summary>Known-but-unsupported fields are refused by name, unknown ones ignored.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? OtherFields { get; init; }
}
