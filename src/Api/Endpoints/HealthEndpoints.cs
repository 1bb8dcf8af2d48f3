using Microsoft.AspNetCore.Mvc;
using GqaService.Api.Contracts;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GqaService.Api.Endpoints;

/// <summary>Probes: never need an API key, never rate limited.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/health").WithTags("Health");
        health.MapGet("/live", Live).WithName("Live").WithSummary("200 while the process serves HTTP.");
        health.MapGet("/ready", Ready).WithName("Ready").WithSummary("200 once the model is loaded and the engine runs; 503 before.")
            .Produces<HealthStatus>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static Ok<HealthStatus> Live() => TypedResults.Ok(new HealthStatus("live"));

    public static Results<Ok<HealthStatus>, JsonHttpResult<HealthStatus>> Ready([FromServices] IInferenceEngine engine) =>
        engine.IsReady
            ? TypedResults.Ok(new HealthStatus("ready"))
            : TypedResults.Json(new HealthStatus("not_ready"), statusCode: StatusCodes.Status503ServiceUnavailable);
}
