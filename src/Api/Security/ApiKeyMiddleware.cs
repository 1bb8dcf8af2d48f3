using System.Security.Cryptography;
using System.Text;
using GqaService.Api.Errors;
using GqaService.Api.Hosting;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Security;

/// <summary>
/// With Api:ApiKeys set, every request outside <see cref="OpenPaths"/> needs <c>Authorization: Bearer &lt;key&gt;</c> (401
/// otherwise) and is served for that key's tenant (<see cref="ApiCaller"/>); with no keys every request is the one tenant "".
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptionsMonitor<ApiOptions> options, IProblemDetailsService problemDetails)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var keys = options.CurrentValue.ApiKeys;
        if (keys.Length == 0 || OpenPaths.Contains(context.Request.Path))
        {
            await next(context);
            return;
        }
        if (MatchingKey(BearerToken(context.Request), keys) is { } key)
        {
            context.Features.Set(ApiCaller.ForKey(key));
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = ApiErrors.Problem(StatusCodes.Status401Unauthorized, "A valid API key is required.",
                "A valid API key is required: send 'Authorization: Bearer <key>' with one of the configured keys.", code: "invalid_api_key"),
        });
    }

    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static string? MatchingKey(string? token, string[] keys)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        var presented = Encoding.UTF8.GetBytes(token);
        string? match = null;
        foreach (var key in keys)
        {
            // Compare against every key in constant time so timing reveals neither which key nor how much matched.
            if (CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(key)))
            {
                match = key;
            }
        }
        return match;
    }
}
