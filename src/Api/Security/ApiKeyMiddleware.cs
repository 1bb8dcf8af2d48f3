using Microsoft.AspNetCore.Mvc;
using System.Security.Cryptography;
using System.Text;
using GqaService.Api.Hosting;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Security;

/// <summary>With Api:ApiKeys set, every request outside <see cref="OpenPaths"/> needs <c>Authorization: Bearer &lt;key&gt;</c> (401 otherwise).</summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptionsMonitor<ApiOptions> options, IProblemDetailsService problemDetails)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var keys = options.CurrentValue.ApiKeys;
        if (keys.Length == 0 || OpenPaths.Contains(context.Request.Path) || IsAuthorized(BearerToken(context.Request), keys))
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "A valid API key is required.",
                Detail = "Send 'Authorization: Bearer <key>' with one of the configured keys.",
            },
        });
    }

    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static bool IsAuthorized(string? token, string[] keys)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }
        var presented = Encoding.UTF8.GetBytes(token);
        var match = false;
        foreach (var key in keys)
        {
            // Compare against every key in constant time so timing reveals neither which key nor how much matched.
            match |= CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(key));
        }
        return match;
    }
}
