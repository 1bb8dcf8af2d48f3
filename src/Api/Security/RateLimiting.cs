using Microsoft.AspNetCore.Mvc;
using System.Globalization;
using System.Threading.RateLimiting;
using GqaService.Api.Hosting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Security;

/// <summary>Optional fixed-window limit per API key (or per remote IP without one): Api:RateLimit:PermitsPerMinute, 0 = off.</summary>
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
        var token = ApiKeyMiddleware.BearerToken(context.Request);
        var partition = token is not null ? $"key:{token}" : $"ip:{context.Connection.RemoteIpAddress}";
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
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Rate limit exceeded.",
                Detail = $"Too many requests for this key; retry in {seconds} s.",
            },
        });
    }
}
