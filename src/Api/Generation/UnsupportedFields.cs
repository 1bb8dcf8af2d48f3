using System.Text.Json;
using GqaService.Api.Errors;

namespace GqaService.Api.Generation;

/// <summary>
/// OpenAI (and a few vLLM) request fields this service knows but does not implement. Sent with a value that asks for
/// something (tools, a response format, echo, best_of above n...), each is a 400 naming it rather than a 200 that quietly
/// did less; null, and the value that asks for nothing (<c>"tools": []</c>, <c>"echo": false</c>), pass. Fields nobody
/// knows are ignored, as OpenAI ignores them. Informational fields that cannot change the output (<c>user</c>,
/// <c>metadata</c>, <c>safety_identifier</c>, <c>prompt_cache_key</c>, <c>service_tier</c>) are accepted and unused.
/// </summary>
internal static class UnsupportedFields
{
    private static readonly Dictionary<string, (Func<JsonElement, int, bool> AsksForNothing, string Why)> Request = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tools"] = (EmptyArray, "tool calling is not supported"),
        ["tool_choice"] = ((v, _) => IsString(v, "none"), "tool calling is not supported"),
        ["parallel_tool_calls"] = (None, "tool calling is not supported"),
        ["functions"] = (EmptyArray, "function calling is not supported"),
        ["function_call"] = ((v, _) => IsString(v, "none"), "function calling is not supported"),
        ["response_format"] = ((v, _) => v.ValueKind == JsonValueKind.Object && v.TryGetProperty("type", out var type) && IsString(type, "text"),
            "only plain text output (response_format {\"type\":\"text\"}) is supported"),
        ["audio"] = (None, "audio output is not supported"),
        ["modalities"] = ((v, _) => v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(m => IsString(m, "text")), "only the text modality is supported"),
        ["prediction"] = (None, "predicted outputs are not supported"),
        ["web_search_options"] = (None, "web search is not supported"),
        ["reasoning_effort"] = (None, "the served model has no reasoning settings"),
        ["verbosity"] = (None, "the served model has no verbosity setting"),
        ["store"] = ((v, _) => v.ValueKind == JsonValueKind.False, "completions are not stored"),
        ["suffix"] = ((v, _) => IsString(v, ""), "insertion (a suffix after the completion) is not supported"),
        ["echo"] = ((v, _) => v.ValueKind == JsonValueKind.False, "echoing the prompt is not supported"),
        ["best_of"] = ((v, n) => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var best) && (best == 1 || best == n),
            "best_of must equal n (server-side candidates are not supported)"),
        ["use_beam_search"] = ((v, _) => v.ValueKind == JsonValueKind.False, "beam search is not supported"),
        ["min_tokens"] = ((v, _) => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var min) && min == 0, "min_tokens is not supported"),
        ["prompt_logprobs"] = (None, "prompt logprobs are not supported"),
        ["guided_json"] = (None, "guided decoding is not supported"),
        ["guided_regex"] = (None, "guided decoding is not supported"),
        ["guided_choice"] = (None, "guided decoding is not supported"),
        ["guided_grammar"] = (None, "guided decoding is not supported"),
        ["structured_outputs"] = (None, "structured outputs are not supported"),
        ["include_stop_str_in_output"] = ((v, _) => v.ValueKind == JsonValueKind.False, "the stop string is never included in the output"),
    };

    private static readonly Dictionary<string, (Func<JsonElement, int, bool> AsksForNothing, string Why)> Message = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tool_calls"] = (EmptyArray, "tool calling is not supported"),
        ["tool_call_id"] = (None, "tool calling is not supported"),
        ["function_call"] = (None, "function calling is not supported"),
        ["audio"] = (None, "audio is not supported"),
    };

    /// <summary>Adds an error naming each unsupported field of the request that asks for something; <paramref name="n"/> is the request's n.</summary>
    public static void Check(IReadOnlyDictionary<string, JsonElement>? extra, int n, ValidationErrors errors) =>
        Check(Request, extra, "", n, errors);

    /// <summary>The same for one message's fields, named <c>messages[i].field</c>.</summary>
    public static void CheckMessage(IReadOnlyDictionary<string, JsonElement>? extra, int index, ValidationErrors errors) =>
        Check(Message, extra, $"messages[{index}].", 1, errors);

    private static void Check(Dictionary<string, (Func<JsonElement, int, bool> AsksForNothing, string Why)> known,
        IReadOnlyDictionary<string, JsonElement>? extra, string prefix, int n, ValidationErrors errors)
    {
        foreach (var (name, value) in extra ?? new Dictionary<string, JsonElement>())
        {
            if (known.TryGetValue(name, out var field) && value.ValueKind != JsonValueKind.Null && !field.AsksForNothing(value, n))
            {
                errors.Add(prefix + name, $"is not supported by this service: {field.Why}. Remove the field (or send null).", ValidationCodes.UnsupportedParameter);
            }
        }
    }

    private static bool None(JsonElement value, int n) => false;

    private static bool EmptyArray(JsonElement value, int n) => value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0;

    private static bool IsString(JsonElement value, string expected) => value.ValueKind == JsonValueKind.String && value.GetString() == expected;
}
