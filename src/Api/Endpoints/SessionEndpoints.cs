using Microsoft.AspNetCore.Mvc;
using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Api.Security;
using GqaService.Inference.Engine;
using GqaService.Inference.Limits;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GqaService.Api.Endpoints;

/// <summary>
/// Cached sessions: a session keeps its tokens' KV blocks between turns until deleted or evicted. Each belongs to the tenant
/// (API key) that created it; the engine answers every call for the caller's tenant only, so another tenant's session is a
/// 404 exactly like one that does not exist.
/// </summary>
public static class SessionEndpoints
{
    public static RouteGroupBuilder MapSessions(this RouteGroupBuilder v1)
    {
        var sessions = v1.MapGroup("/sessions").WithTags("Sessions");
        sessions.MapGet("/", ListSessions).WithName("ListSessions").WithSummary("The caller's cached sessions (its API key's).");
        sessions.MapGet("/{id}", GetSession).WithName("GetSession").WithSummary("One cached session of the caller's.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        sessions.MapDelete("/{id}", DeleteSession).WithName("DeleteSession")
            .WithSummary("Release a session's KV blocks (409 while one of its requests runs).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return v1;
    }

    public static Ok<SessionList> ListSessions([FromServices] IInferenceEngine engine, HttpContext context) =>
        TypedResults.Ok(new SessionList(engine.ListSessions(ApiCaller.Of(context).Tenant).Select(s => s.ToDto()).ToList()));

    public static Results<Ok<SessionDto>, ValidationProblem, ProblemHttpResult> GetSession(string id, [FromServices] IInferenceEngine engine, HttpContext context)
    {
        if (InvalidId(id, engine) is { } invalid)
        {
            return invalid;
        }
        return engine.GetSession(ApiCaller.Of(context).Tenant, id) is { } session ? TypedResults.Ok(session.ToDto()) : ProblemResults.SessionNotFound(id);
    }

    public static async Task<Results<Ok<SessionDeleted>, ValidationProblem, ProblemHttpResult>> DeleteSession(string id, [FromServices] IInferenceEngine engine,
        HttpContext context, CancellationToken cancellationToken)
    {
        if (InvalidId(id, engine) is { } invalid)
        {
            return invalid;
        }
        try
        {
            return await engine.DeleteSessionAsync(ApiCaller.Of(context).Tenant, id, cancellationToken)
                ? TypedResults.Ok(new SessionDeleted(id))
                : ProblemResults.SessionNotFound(id);
        }
        catch (SessionBusyException busy)
        {
            return ProblemResults.SessionBusy(busy);
        }
    }

    /// <summary>An id no session can have (a character outside the documented set, too long) is a 400, not a 404.</summary>
    private static ValidationProblem? InvalidId(string id, IInferenceEngine engine) =>
        SessionIds.Problem(id, engine.Limits.MaxSessionIdLength) is { } problem ? ProblemResults.Validation(ValidationErrors.Single("id", problem)) : null;
}
