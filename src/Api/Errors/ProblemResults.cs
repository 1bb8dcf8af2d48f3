using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GqaService.Api.Errors;

/// <summary>The problem-details answers of the generation endpoints, one place for titles and status codes.</summary>
public static class ProblemResults
{
    public static ValidationProblem Validation(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is invalid.");

    public static ProblemHttpResult Overloaded(HttpContext context, EngineOverloadedException exception)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(exception.RetryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(exception.Message, statusCode: StatusCodes.Status429TooManyRequests,
            title: "The engine is overloaded; retry later.", extensions: new Dictionary<string, object?> { ["retry_after_seconds"] = seconds });
    }

    public static ProblemHttpResult SessionBusy(SessionBusyException exception) =>
        TypedResults.Problem(exception.Message, statusCode: StatusCodes.Status409Conflict, title: "The session is busy.",
            extensions: new Dictionary<string, object?> { ["session_id"] = exception.SessionId });

    /// <summary>The engine's deadline passed; a non-streamed request that had already produced tokens must not claim it never started.</summary>
    public static ProblemHttpResult Timeout(string engineMessage, int tokensProduced = 0) => tokensProduced == 0
        ? TypedResults.Problem(engineMessage, statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "The request timed out before generation started.", extensions: new Dictionary<string, object?> { ["code"] = GenerationFailed.DeadlineExceeded })
        : TypedResults.Problem(
            $"{engineMessage} It had produced {tokensProduced} generated tokens; the partial output was discarded. Ask for fewer max_tokens, or stream.",
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "The request timed out during generation.",
            extensions: new Dictionary<string, object?> { ["code"] = GenerationFailed.DeadlineExceeded });

    /// <summary>Conditions of load or time (deadline, KV exhausted, shutdown) are 503: retrying later can succeed. Anything else is 500.</summary>
    public static ProblemHttpResult EngineFailed(string code, string message) =>
        TypedResults.Problem(message, statusCode: code is "deadline_exceeded" or "kv_cache_exhausted" or "shutting_down"
                ? StatusCodes.Status503ServiceUnavailable
                : StatusCodes.Status500InternalServerError,
            title: "The engine could not complete the request.", extensions: new Dictionary<string, object?> { ["code"] = code });

    public static ProblemHttpResult Unavailable(EngineUnavailableException exception) =>
        TypedResults.Problem(exception.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The engine is not serving.");

    public static ProblemHttpResult ClientClosed() =>
        TypedResults.Problem("The client closed the request.", statusCode: 499, title: "Client closed request.");

    public static ProblemHttpResult NotReady() =>
        TypedResults.Problem("The model is still loading.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready.");

    public static ProblemHttpResult SessionNotFound(string id) =>
        TypedResults.Problem($"There is no session '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Session not found.");
}
