using Microsoft.AspNetCore.Mvc;
using System.Text.Json;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Diagnostics;

namespace GqaService.Api.Errors;

/// <summary>
/// Turns what escapes a handler into problem details: the framework's JSON binding failures (400, naming the JSON path and
/// the type it wants), an empty or <c>null</c> body (400 <c>body</c>, in our words rather than the framework's), body too
/// large (413), engine refusals thrown outside the generation handlers, and anything else (500, no internals).
/// </summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problemDetails, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted)
        {
            return false;
        }
        var problem = Describe(context, exception);
        if (problem.Status == StatusCodes.Status500InternalServerError)
        {
            logger.LogError(exception, "Unhandled exception on {Path}", context.Request.Path);
        }
        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails Describe(HttpContext context, Exception exception) => exception switch
    {
        BadHttpRequestException { InnerException: JsonException json } => ApiErrors.Validation(JsonProblem(context, json)),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => BodyTooLarge(context),
        // The framework's own words for a missing or null body ("Implicit body inferred ... Did you mean to use a Service instead?").
        BadHttpRequestException { StatusCode: StatusCodes.Status400BadRequest } => ApiErrors.Validation(ValidationErrors.Single("body",
            "The request body must be a JSON object (it was empty or null).", ValidationCodes.MissingRequired)),
        BadHttpRequestException bad => ApiErrors.Problem(bad.StatusCode, "Bad request.", bad.Message),
        InvalidGenerationRequestException invalid => ApiErrors.Validation(ValidationErrors.From(invalid.Errors)),
        SessionBusyException busy => ApiErrors.Problem(StatusCodes.Status409Conflict, "The session is busy.", busy.Message, "session_id", "session_busy"),
        // The engine's limits and tokenizer exist once the model is loaded; before (or after shutdown) a caller can retry.
        EngineUnavailableException unavailable => ApiErrors.Problem(StatusCodes.Status503ServiceUnavailable, "The engine is not serving.",
            unavailable.Message, code: "engine_unavailable"),
        _ => ApiErrors.Problem(StatusCodes.Status500InternalServerError, "An unexpected error occurred.", null),
    };

    private static ValidationErrors JsonProblem(HttpContext context, JsonException json)
    {
        var field = JsonPathToField(json.Path);
        if (json is Contracts.JsonFieldException)
        {
            return ValidationErrors.Single(field, json.Message, ValidationCodes.InvalidType);
        }
        if (field == "body")
        {
            // The reader's own exceptions are subclasses; a plain JsonException at the root is a body of the wrong JSON type.
            return json.GetType() == typeof(JsonException)
                ? ValidationErrors.Single(field, "The request body must be a JSON object.", ValidationCodes.InvalidType)
                : ValidationErrors.Single(field, $"The request body is not valid JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}).",
                    ValidationCodes.InvalidJson);
        }
        // The exception-handler middleware has cleared the endpoint by now; its feature keeps the one that threw.
        var endpoint = context.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? context.GetEndpoint();
        var requestType = endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType;
        var expected = JsonFieldTypes.Describe(requestType, field);
        return ValidationErrors.Single(field, expected is null
            ? "has the wrong JSON type or an out-of-range value."
            : $"must be {expected} (numbers are not accepted as strings, nor strings as numbers).", ValidationCodes.InvalidType);
    }

    /// <summary><c>$.max_tokens</c> → <c>max_tokens</c>, <c>$.messages[0].content</c> → <c>messages[0].content</c>, <c>$</c> → <c>body</c>.</summary>
    public static string JsonPathToField(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Replace("['", "", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal);
    }

    private static ProblemDetails BodyTooLarge(HttpContext context) => ApiErrors.Problem(StatusCodes.Status413PayloadTooLarge,
        "The request body is too large.",
        $"The body exceeds the limit of {context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes.",
        "body");
}
