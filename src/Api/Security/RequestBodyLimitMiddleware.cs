using GqaService.Api.Errors;
using GqaService.Api.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Security;

/// <summary>
/// Api:MaxRequestBodyBytes: a declared Content-Length above it is refused at once with 413; the server's own limit is set to it
/// too, so a chunked body that grows past it fails while being read (mapped to 413 by the exception handler).
/// </summary>
internal sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptionsMonitor<ApiOptions> options, IProblemDetailsService problemDetails)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var limit = options.CurrentValue.MaxRequestBodyBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
        if (context.Request.ContentLength is { } length && length > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await problemDetails.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = ApiErrors.Problem(StatusCodes.Status413PayloadTooLarge, "The request body is too large.",
                    $"The body is {length} bytes; the limit is {limit} bytes.", "body"),
            });
            return;
        }
        await next(context);
    }
}
