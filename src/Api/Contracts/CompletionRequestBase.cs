using System.Text.Json;
using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

/// <summary>Fields shared by /v1/completions and /v1/chat/completions (OpenAI names, snake_case on the wire).</summary>
public abstract class CompletionRequestBase
{
    /// <summary>Accepted for compatibility; the served model answers whatever is named here.</summary>
    /// <example>stories260K</example>
    public string? Model { get; init; }

    /// <summary>Upper bound on generated tokens (1..Inference:MaxTokensLimit); defaults to Inference:DefaultMaxTokens.</summary>
    /// <example>64</example>
    public int? MaxTokens { get; init; }

    /// <summary>0 is greedy; 0..2.</summary>
    /// <example>0</example>
    public float? Temperature { get; init; }

    /// <summary>Nucleus mass, 0 &lt; top_p ≤ 1.</summary>
    /// <example>1</example>
    public float? TopP { get; init; }

    /// <summary>Keep the k most likely tokens; 0 disables it.</summary>
    /// <example>0</example>
    public int? TopK { get; init; }

    /// <summary>Same seed and parameters, same output.</summary>
    /// <example>42</example>
    public long? Seed { get; init; }

    /// <summary>A string or up to 4 strings that end generation (needs a tokenizer).</summary>
    public StopInput? Stop { get; init; }

    /// <summary>Only 1 is supported.</summary>
    /// <example>1</example>
    public int? N { get; init; }

    /// <summary>Stream Server-Sent Events instead of one JSON body.</summary>
    /// <example>false</example>
    public bool? Stream { get; init; }

    public StreamOptions? StreamOptions { get; init; }

    /// <summary>Accepted for compatibility (not used).</summary>
    public string? User { get; init; }

    /// <summary>Extension: keeps the sequence's KV cache under this id for the next turn. Also read from the X-Session-Id header.</summary>
    /// <example>chat-42</example>
    public string? SessionId { get; init; }

    /// <summary>Extension (as in vLLM): token ids that end the output like EOS does (not emitted). Works without a tokenizer.</summary>
    /// <example>[2]</example>
    public int[]? StopTokenIds { get; init; }

    /// <summary>Extension: keep generating past the end-of-sequence token.</summary>
    /// <example>false</example>
    public bool? IgnoreEos { get; init; }

    /// <summary>Extension: each choice (and each streamed chunk) carries the generated token ids.</summary>
    /// <example>false</example>
    public bool? ReturnTokenIds { get; init; }

    /// <summary>Every field not named above: known-but-unsupported ones are refused by name, unknown ones ignored (as OpenAI does).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? OtherFields { get; init; }
}
