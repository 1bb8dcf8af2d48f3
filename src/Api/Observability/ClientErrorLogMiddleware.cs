namespace GqaService.Api.Observability;

/// <summary>
/// One Information line per 4xx answer: method, path (never the query or body, so no prompt text), status, the problem
/// type the answer carried and the request id that its <c>trace_id</c> names. ASP.NET's own request logs sit at Warning,
/// so without this a refused request would leave no trace at the default level.
/// </summary>
internal sealed partial class ClientErrorLogMiddleware(RequestDelegate next, ILogger<ClientErrorLogMiddleware> logger)
{
    /// <summary>HttpContext.Items key under which the problem-details writer leaves the type it wrote.</summary>
    public const string ProblemTypeItem = "gqa.problem_type";

    /// <summary>HttpContext.Items key for the trace id the problem body carries (its <c>trace_id</c>).</summary>
    public const string ProblemTraceItem = "gqa.problem_trace_id";

    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        var status = context.Response.StatusCode;
        if (status is >= 400 and < 500)
        {
            ClientError(logger, context.Request.Method, context.Request.Path.Value ?? "", status,
                context.Items[ProblemTypeItem] as string ?? "none", context.Items[ProblemTraceItem] as string ?? context.TraceIdentifier);
        }
    }

    /// <summary>Called for every problem-details answer; remembers its type for the log line.</summary>
    public static void Remember(ProblemDetailsContext problem)
    {
        problem.HttpContext.Items[ProblemTypeItem] = problem.ProblemDetails.Type;
        // ASP.NET adds "traceId" (written as trace_id by the snake_case policy) ahead of the service's own trace_id.
        var extensions = problem.ProblemDetails.Extensions;
        problem.HttpContext.Items[ProblemTraceItem] = (extensions.TryGetValue("traceId", out var traceId) || extensions.TryGetValue("trace_id", out traceId) ? traceId : null)?.ToString();
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Information,
        Message = "Client error {Method} {Path} -> {StatusCode} {ProblemType} request={RequestId}")]
    private static partial void ClientError(ILogger logger, string method, string path, int statusCode, string problemType, string requestId);
}
