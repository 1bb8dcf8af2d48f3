using GqaService.Api.Security;

namespace GqaService.Api.Hosting;

public static class ApiApplicationExtensions
{
    /// <summary>The request pipeline in order: the 4xx log line, problem details for exceptions, body limit (413), API keys (401), rate limits (429).</summary>
    public static WebApplication UseApi(this WebApplication app)
    {
        app.UseMiddleware<Observability.ClientErrorLogMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseRateLimiter();
        return app;
    }
}
