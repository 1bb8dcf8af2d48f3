using Microsoft.AspNetCore.Mvc;
using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GqaService.Api.Endpoints;

/// <summary>Cached sessions: a session keeps its tokens' KV blocks between turns until deleted or evicted.</summary>
public static class SessionEndpoints
{
    public static RouteGroupBuilder MapSessions(this RouteGroupBuilder v1)
    {
        var sessions = v1.MapGroup("/sessions").WithTags("Sessions");
        sessions.MapGet("/", ListSessions).WithName("ListSessions").WithSummary("All cached sessions.");
        sessions.MapGet("/{id}", GetSession).WithName("GetSession").WithSummary("One cached session.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        sessions.MapDelete("/{id}", DeleteSession).WithName("DeleteSession")
            .WithSummary("Release a session's KV blocks (409 while one of its requests runs).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return v1;
    }

    public static Ok<SessionList> ListSessions([FromServices] IInferenceEngine engine) =>
        TypedResults.Ok(new SessionList(engine.ListSessions().Select(s => s.ToDto()).ToList()));

    public static Results<Ok<SessionDto>, ProblemHttpResult> GetSession(string id, [FromServices] IInferenceEngine engine) =>
        engine.GetSession(id) is { } session ? TypedResults.Ok(session.ToDto()) : ProblemResults.SessionNotFound(id);

    public static async Task<Results<Ok<SessionDeleted>, ProblemHttpResult>> DeleteSession(string id, [FromServices] IInferenceEngine engine, CancellationToken cancellationToken)
    {
        try
        {
            return await engine.DeleteSessionAsync(id, cancellationToken)
                ? TypedResults.Ok(new SessionDeleted(id))
                : ProblemResults.SessionNotFound(id);
        }
        catch (SessionBusyException busy)
        {
            return ProblemResults.SessionBusy(busy);
        }
    }
}
