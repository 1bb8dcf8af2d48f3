using System.Text.Json.Nodes;

namespace GqaService.Api.Swagger;

/// <summary>
/// The examples the Swagger page shows: request bodies that give a useful answer on the default model as they stand
/// (a real prompt, greedy, a short answer; no session that would keep KV blocks, no placeholder stop string), the SSE
/// framing of a real stream, and one problem per status the way the service writes it.
/// </summary>
internal static class SwaggerExamples
{
    public static JsonNode CompletionRequest() => JsonNode.Parse("""
        { "prompt": "Once upon a time", "max_tokens": 32, "temperature": 0 }
        """)!;

    public static JsonNode ChatCompletionRequest() => JsonNode.Parse("""
        { "messages": [ { "role": "system", "content": "Be brief." }, { "role": "user", "content": "Tell me a story." } ], "max_tokens": 32, "temperature": 0 }
        """)!;

    public const string CompletionStream =
        "data: {\"id\":\"cmpl-5f0c2a\",\"object\":\"text_completion\",\"created\":1767225600,\"model\":\"stories260K\",\"choices\":[{\"index\":0,\"text\":\" there\",\"logprobs\":null,\"finish_reason\":null}]}\n\n" +
        "data: {\"id\":\"cmpl-5f0c2a\",\"object\":\"text_completion\",\"created\":1767225600,\"model\":\"stories260K\",\"choices\":[{\"index\":0,\"text\":\" was\",\"logprobs\":null,\"finish_reason\":null}]}\n\n" +
        "data: {\"id\":\"cmpl-5f0c2a\",\"object\":\"text_completion\",\"created\":1767225600,\"model\":\"stories260K\",\"choices\":[{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"length\"}]}\n\n" +
        "data: [DONE]\n\n";

    public const string ChatStream =
        "data: {\"id\":\"chatcmpl-9b1e7d\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,\"model\":\"stories260K\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n" +
        "data: {\"id\":\"chatcmpl-9b1e7d\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,\"model\":\"stories260K\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" Once\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n" +
        "data: {\"id\":\"chatcmpl-9b1e7d\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,\"model\":\"stories260K\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n" +
        "data: [DONE]\n\n";

    /// <summary>One problem per status, as the service writes them (snake_case, trace_id, errors keyed by the JSON field).</summary>
    public static JsonNode? Problem(string status) => status switch
    {
        "400" => Parse("""{ "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1", "title": "The request is invalid.", "status": 400, "errors": { "max_tokens": ["must be at most 4096 (got 100000)."] }, "trace_id": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }"""),
        "401" => Parse("""{ "type": "https://tools.ietf.org/html/rfc9110#section-15.5.2", "title": "A valid API key is required.", "status": 401, "detail": "Send 'Authorization: Bearer <key>' with one of the configured keys.", "trace_id": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }"""),
        "404" => Parse("""{ "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5", "title": "Session not found.", "status": 404, "detail": "There is no session 'story-1'.", "trace_id": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }"""),
        "409" => Parse("""{ "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10", "title": "The session is busy.", "status": 409, "detail": "Session 'story-1' already runs a request.", "session_id": "story-1", "trace_id": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }"""),
        "413" => Parse("""{ "type": "https://tools.ietf.org/html/rfc9110#section-15.5.14", "title": "The request body is too large.", "status": 413, "detail": "The body is 2000000 bytes; the limit is 1048576 bytes.", "trace_id": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }"""),
        "415" => Parse("""{ "type": "https://tools.ietf.org/html/rfc9110#section-15.5.16", "title": "Unsupported Media Type", "status": 415, "trace_id": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }"""),
        "429" => Parse("""{ "type": "https://tools.ietf.org/html/rfc6585#section-4", "title": "The engine is overloaded; retry later.", "status": 429, "detail": "256 requests are already waiting.", "retry_after_seconds": 2, "trace_id": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }"""),
        "500" => Parse("""{ "type": "https://tools.ietf.org/html/rfc9110#section-15.6.1", "title": "The engine could not complete the request.", "status": 500, "detail": "The engine failed; see the service log.", "code": "engine_failed", "trace_id": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }"""),
        "503" => Parse("""{ "type": "https://tools.ietf.org/html/rfc9110#section-15.6.4", "title": "The request timed out before generation started.", "status": 503, "detail": "The request deadline (Inference:RequestTimeoutSeconds = 300) passed before its first token.", "code": "deadline_exceeded", "trace_id": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }"""),
        _ => null,
    };

    private static JsonNode Parse(string json) => JsonNode.Parse(json)!;
}
