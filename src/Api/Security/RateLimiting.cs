using GqaService.Api.Errors;
using System.Globalization;
using System.Threading.RateLimiting;
using GqaService.Api.Hosting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Security;

/// <summary>
/// Optional fixed-window limit (Api:RateLimit:PermitsPerMinute, 0 = off) per authenticated tenant when API keys are on, per
/// remote address when they are off. The partition never comes from what the client merely sends: an invented bearer
/// token is refused (keys on) or ignored (keys off), so it cannot buy a fresh window.
/// </summary>
public static class RateLimiting
{
    public const string PolicyName = "per-key";

    public static IServiceCollection AddApiRateLimiting(this IServiceCollection services) => services.AddRateLimiter(limiter =>
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.AddPolicy(PolicyName, Partition);
        limiter.OnRejected = OnRejectedAsync;
    });

    private static RateLimitPartition<string> Partition(HttpContext context)
    {
        var permits = context.RequestServices.GetRequiredService<IOptionsMonitor<ApiOptions>>().CurrentValue.RateLimit.PermitsPerMinute;
        if (permits <= 0)
        {
            return RateLimitPartition.GetNoLimiter("off");
        }
        var caller = ApiCaller.Of(context);
        var partition = caller.Authenticated ? $"tenant:{caller.Tenant}" : $"ip:{context.Connection.RemoteIpAddress}";
        return RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = ApiErrors.Problem(StatusCodes.Status429TooManyRequests, "Rate limit exceeded.",
                $"Too many requests for this key or address; retry in {seconds} s.", code: "rate_limit_exceeded",
                extensions: new Dictionary<string, object?> { ["retry_after_seconds"] = seconds }),
        });
    }
}
