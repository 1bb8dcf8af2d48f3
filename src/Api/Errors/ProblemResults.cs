using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GqaService.Api.Errors;

/// <summary>The problem-details answers of the endpoints, one place for titles, status codes, params and codes (shaped by <see cref="ApiErrors"/>).</summary>
public static class ProblemResults
{
    public static ValidationProblem Validation(ValidationErrors errors)
    {
        var problem = ApiErrors.Validation(errors);
        return TypedResults.ValidationProblem(problem.Errors, problem.Detail, title: problem.Title, type: problem.Type, extensions: problem.Extensions);
    }

    public static ProblemHttpResult Overloaded(HttpContext context, EngineOverloadedException exception)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(exception.RetryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Result(StatusCodes.Status429TooManyRequests, "The engine is overloaded; retry later.", exception.Message, code: "engine_overloaded",
            extensions: new Dictionary<string, object?> { ["retry_after_seconds"] = seconds });
    }

    public static ProblemHttpResult SessionBusy(SessionBusyException exception) =>
        Result(StatusCodes.Status409Conflict, "The session is busy.", exception.Message, "session_id", "session_busy",
            new Dictionary<string, object?> { ["session_id"] = exception.SessionId });

    /// <summary>The engine's deadline passed; a non-streamed request that had already produced tokens must not claim it never started.</summary>
    public static ProblemHttpResult Timeout(string engineMessage, int tokensProduced = 0) => tokensProduced == 0
        ? Result(StatusCodes.Status503ServiceUnavailable, "The request timed out before generation started.", engineMessage, code: GenerationFailed.DeadlineExceeded)
        : Result(StatusCodes.Status503ServiceUnavailable, "The request timed out during generation.",
            $"{engineMessage} It had produced {tokensProduced} generated tokens; the partial output was discarded. Ask for fewer max_tokens, or stream.",
            code: GenerationFailed.DeadlineExceeded);

    /// <summary>Conditions of load or time (deadline, KV exhausted, shutdown) are 503: retrying later can succeed. Anything else is 500.</summary>
    public static ProblemHttpResult EngineFailed(string code, string message) =>
        Result(EngineFailureStatus(code), "The engine could not complete the request.", message, code: code);

    public static int EngineFailureStatus(string code) => code is "deadline_exceeded" or "kv_cache_exhausted" or "shutting_down"
        ? StatusCodes.Status503ServiceUnavailable
        : StatusCodes.Status500InternalServerError;

    public static ProblemHttpResult Unavailable(EngineUnavailableException exception) =>
        Result(StatusCodes.Status503ServiceUnavailable, "The engine is not serving.", exception.Message, code: "engine_unavailable");

    public static ProblemHttpResult ClientClosed() => Result(499, "Client closed request.", "The client closed the request.");

    public static ProblemHttpResult NotReady() => Result(StatusCodes.Status503ServiceUnavailable, "Not ready.", "The model is still loading.", code: "not_ready");

    /// <summary>404 for a session that does not exist for the caller's tenant (another tenant's looks exactly the same).</summary>
    public static ProblemHttpResult SessionNotFound(string id) =>
        Result(StatusCodes.Status404NotFound, "Session not found.", $"There is no session '{id}'.", "id", "session_not_found");

    public static ProblemHttpResult ModelNotFound(string id, string served) =>
        Result(StatusCodes.Status404NotFound, "Model not found.", $"The model '{id}' does not exist; this service serves '{served}'.", "model", "model_not_found");

    private static ProblemHttpResult Result(int status, string title, string? detail, string? param = null, string? code = null,
        IReadOnlyDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(ApiErrors.Problem(status, title, detail, param, code, extensions));
}
