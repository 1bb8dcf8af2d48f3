using System.Text.Json.Serialization;

namespace GqaService.Api.Errors;

/// <summary>
/// OpenAI's error object, carried as the <c>error</c> member of every problem (and of every SSE error event): what the
/// official SDKs read into their exceptions (message, type, param, code). <c>param</c> and <c>code</c> are written even when
/// null, as OpenAI writes them.
/// </summary>
public sealed record OpenAiError
{
    public required string Message { get; init; }

    /// <example>invalid_request_error</example>
    public required string Type { get; init; }

    /// <summary>The JSON field at fault (<c>max_tokens</c>, <c>messages[2].content</c>), or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; init; }

    /// <example>invalid_value</example>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Code { get; init; }
}
