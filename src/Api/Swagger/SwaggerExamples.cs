using System.Text.Json;
using System.Text.Json.Nodes;
using GqaService.Api.Errors;
using Microsoft.AspNetCore.Mvc;

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

    /// <summary>
    /// One problem per status, built by <see cref="ApiErrors"/> exactly as the service writes it (snake_case, trace_id, errors
    /// keyed by the JSON field, OpenAI's error object).
    /// </summary>
    public static JsonNode? Problem(string status) => Example(status) is { } problem
        ? JsonSerializer.SerializeToNode(WithTrace(problem), WireFormat)
        : null;

    private static ProblemDetails? Example(string status) => status switch
    {
        "400" => ApiErrors.Validation(ValidationErrors.Single("max_tokens", "must lie in 1..4096 (got 100000).")),
        "401" => ApiErrors.Problem(401, "A valid API key is required.", "A valid API key is required: send 'Authorization: Bearer <key>' with one of the configured keys.", code: "invalid_api_key"),
        "404" => ApiErrors.Problem(404, "Session not found.", "There is no session 'story-1'.", "id", "session_not_found"),
        "409" => ApiErrors.Problem(409, "The session is busy.", "Session 'story-1' already runs a request.", "session_id", "session_busy",
            new Dictionary<string, object?> { ["session_id"] = "story-1" }),
        "413" => ApiErrors.Problem(413, "The request body is too large.", "The body is 2000000 bytes; the limit is 1048576 bytes.", "body"),
        "415" => ApiErrors.Problem(415, "Unsupported Media Type", "Expected a supported JSON media type but got \"text/plain\"."),
        "429" => ApiErrors.Problem(429, "The engine is overloaded; retry later.", "The waiting queue is full (256 requests).", code: "engine_overloaded",
            extensions: new Dictionary<string, object?> { ["retry_after_seconds"] = 2 }),
        "500" => ApiErrors.Problem(500, "The engine could not complete the request.", "The engine failed; see the service log.", code: "engine_failed"),
        "503" => ApiErrors.Problem(503, "The request timed out before generation started.",
            "The request passed its deadline before it could start.", code: "deadline_exceeded"),
        _ => null,
    };

    private static ProblemDetails WithTrace(ProblemDetails problem)
    {
        problem.Extensions[ApiErrors.TraceMember] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        return problem;
    }

    private static readonly JsonSerializerOptions WireFormat = Hosting.ApiServiceCollectionExtensions.WireFormat();

    private static JsonNode Parse(string json) => JsonNode.Parse(json)!;
}
