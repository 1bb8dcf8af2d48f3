using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Api.Generation;
using GqaService.Api.Observability;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace GqaService.Api.Endpoints;

/// <summary>POST /v1/completions and /v1/chat/completions (OpenAI-compatible, optionally streamed).</summary>
public static class CompletionEndpoints
{
    public const string SessionHeader = "X-Session-Id";

    private static string StreamingDescription(string chunks) =>
        "With \"stream\": true the answer is text/event-stream (Server-Sent Events, as OpenAI streams them): each event is one line " +
        "`data: {chunk JSON}` followed by a blank line, flushed per token; there are no `event:` lines. " + chunks + " Then a final chunk whose " +
        "choice has finish_reason \"stop\" or \"length\"; then, only with stream_options.include_usage, a chunk with \"choices\": [] and " +
        "the usage; then `data: [DONE]`. A failure after the stream started is sent as `data: {\"error\":{\"message\",\"type\",\"code\"}}` " +
        "followed by `data: [DONE]`. Closing the connection cancels the generation at once. With return_token_ids each chunk's choice " +
        "carries the token ids it adds. The session id may come from the body (session_id) or the X-Session-Id header, which the " +
        "reverse proxy routes on.";

    public static RouteGroupBuilder MapCompletions(this RouteGroupBuilder v1)
    {
        v1.MapPost("/completions", CreateCompletion)
            .WithName("CreateCompletion")
            .WithTags("Completions")
            .WithSummary("Continue a prompt (text, BOS added; or token ids, used as given).")
            .WithDescription(StreamingDescription("Chunks have object \"text_completion\" and carry the new text in choices[0].text."))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        v1.MapPost("/chat/completions", CreateChatCompletion)
            .WithName("CreateChatCompletion")
            .WithTags("Completions")
            .WithSummary("Answer a conversation (rendered with the plain chat template unless the model brings its own).")
            .WithDescription(StreamingDescription(
                "Chunks have object \"chat.completion.chunk\": the first carries delta {\"role\":\"assistant\",\"content\":\"\"}, later ones delta.content."))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return v1;
    }

    public static async Task<Results<Ok<CompletionResponse>, ServerSentEventsStream<CompletionChunk>, ValidationProblem, ProblemHttpResult>> CreateCompletion(
        CompletionRequest request, [FromHeader(Name = SessionHeader)] string? sessionId, [AsParameters] GenerationServices services, HttpContext context)
    {
        var shape = TextCompletionShape.Instance;
        var errors = new ValidationErrors();
        var prepared = RequestMapper.Completion(request, Origin(shape.IdPrefix, sessionId, context), services.Engine, errors);
        if (prepared is null)
        {
            services.Telemetry.RecordOutcome(shape.Endpoint, RequestOutcome.Invalid);
            return ProblemResults.Validation(errors);
        }
        return await services.Runner.RunAsync(prepared, shape, context);
    }

    public static async Task<Results<Ok<ChatCompletionResponse>, ServerSentEventsStream<ChatCompletionChunk>, ValidationProblem, ProblemHttpResult>> CreateChatCompletion(
        ChatCompletionRequest request, [FromHeader(Name = SessionHeader)] string? sessionId, [AsParameters] GenerationServices services, HttpContext context)
    {
        var shape = ChatCompletionShape.Instance;
        var errors = new ValidationErrors();
        var prepared = RequestMapper.Chat(request, Origin(shape.IdPrefix, sessionId, context), services.Engine, services.ChatTemplate, errors);
        if (prepared is null)
        {
            services.Telemetry.RecordOutcome(shape.Endpoint, RequestOutcome.Invalid);
            return ProblemResults.Validation(errors);
        }
        return await services.Runner.RunAsync(prepared, shape, context);
    }

    private static RequestOrigin Origin(string idPrefix, string? sessionHeader, HttpContext context) =>
        new(idPrefix + Guid.NewGuid().ToString("N"), sessionHeader, Security.ApiCaller.Of(context).Tenant);
}
