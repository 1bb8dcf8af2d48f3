using Microsoft.AspNetCore.Mvc;
using System.Text.Json;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Diagnostics;

namespace GqaService.Api.Errors;

/// <summary>
/// Turns what escapes a handler into problem details: the framework's JSON binding failures (400, naming the JSON path),
/// body too large (413), engine refusals thrown outside the generation handlers, and anything else (500, no internals).
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
        BadHttpRequestException { InnerException: JsonException json } => JsonProblem(json),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => BodyTooLarge(context),
        BadHttpRequestException bad => new ProblemDetails { Status = bad.StatusCode, Title = "Bad request.", Detail = bad.Message },
        InvalidGenerationRequestException invalid => new HttpValidationProblemDetails(ValidationErrors.From(invalid.Errors))
        {
            Status = 400, Title = "The request is invalid.",
        },
        SessionBusyException busy => new ProblemDetails { Status = 409, Title = "The session is busy.", Detail = busy.Message },
        _ => new ProblemDetails { Status = 500, Title = "An unexpected error occurred." },
    };

    private static HttpValidationProblemDetails JsonProblem(JsonException json)
    {
        var field = JsonPathToField(json.Path);
        var message = json is Contracts.JsonFieldException
            ? $"'{field}' {json.Message}"
            : field == "body"
                ? $"The request body is not valid JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1})."
                : $"'{field}' has the wrong JSON type or an out-of-range value.";
        return new HttpValidationProblemDetails(ValidationErrors.Single(field, message)) { Status = 400, Title = "The request is invalid." };
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

    private static ProblemDetails BodyTooLarge(HttpContext context) => new()
    {
        Status = StatusCodes.Status413PayloadTooLarge,
        Title = "The request body is too large.",
        Detail = $"The body exceeds the limit of {context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes.",
    };
}
