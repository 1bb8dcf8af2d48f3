using GqaService.Api.Security;

namespace GqaService.Api.Endpoints;

public static class V1Endpoints
{
    /// <summary>The OpenAI-compatible surface under /v1; rate limiting is attached once, to the group.</summary>
    public static IEndpointRouteBuilder MapV1(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1")
            .RequireRateLimiting(RateLimiting.PolicyName)
            .MapCompletions()
            .MapModels()
            .MapSessions()
            .MapMemory()
            .MapPerplexity()
            .MapObservatory();
        return app;
    }
}
