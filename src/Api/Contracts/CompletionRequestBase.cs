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

    /// <summary>
    /// How many choices to generate (1..16, default 1). The prompt is prefilled once and the choices share its KV blocks;
    /// choice i samples with seed + i, so it equals an n = 1 request with that seed. Not with session_id.
    /// </summary>
    /// <example>1</example>
    public int? N { get; init; }

    /// <summary>Accepted only equal to n (each choice is returned; none is ranked away).</summary>
    /// <example>1</example>
    public int? BestOf { get; init; }

    /// <summary>Keep only tokens at least this fraction as likely as the most likely one, 0..1 (0 disables it).</summary>
    /// <example>0</example>
    public float? MinP { get; init; }

    /// <summary>OpenAI's, -2..2: subtracted once from the logit of every token the output already contains.</summary>
    /// <example>0</example>
    public float? PresencePenalty { get; init; }

    /// <summary>OpenAI's, -2..2: subtracted from a token's logit once per time the output already contains it.</summary>
    /// <example>0</example>
    public float? FrequencyPenalty { get; init; }

    /// <summary>
    /// Extension (Hugging Face / llama.cpp), 0 &lt; r ≤ 10, 1 off: a token of the prompt or the output has its logit divided by
    /// r when positive, multiplied by r when negative.
    /// </summary>
    /// <example>1</example>
    public float? RepetitionPenalty { get; init; }

    /// <summary>Token id (as a string key) → bias added to its logit, -100..100; +100 forces the token, -100 bans it.</summary>
    public IReadOnlyDictionary<string, float>? LogitBias { get; init; }

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
