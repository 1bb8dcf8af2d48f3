using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace GqaService.Api.Errors;

/// <summary>
/// Gives the requests Kestrel refuses on its own (400 for a malformed request line or header, 414 for a URL over
/// <c>MaxRequestLineSize</c>, 431 for headers over <c>MaxRequestHeadersTotalSize</c>, and its few other rejections) the same
/// problem body, OpenAI error object included, as every other error: a connection middleware on every endpoint.
/// </summary>
public static class KestrelRejections
{
    public static void UseProblemBodiesForRejections(this KestrelServerOptions kestrel) =>
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection =>
        {
            var json = listen.ApplicationServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            connection.Transport = new KestrelRejectionTransport(connection.Transport, status => Body(status, connection.ConnectionId, json));
            return next(connection);
        }));

    public static byte[] Body(int status, string traceId, JsonSerializerOptions json)
    {
        var (title, detail) = status switch
        {
            StatusCodes.Status400BadRequest => ("Bad request.", "The request line or a header is malformed; the server refused it before reading it."),
            StatusCodes.Status414UriTooLong => ("The request URL is too long.", "The request line exceeds the server's limit; send parameters in the body."),
            StatusCodes.Status431RequestHeaderFieldsTooLarge => ("The request headers are too large.", "The headers exceed the server's limit (count or total size)."),
            StatusCodes.Status408RequestTimeout => ("The request timed out.", "The request headers did not arrive in time."),
            _ => ("The request was refused.", $"The server refused the request ({status}) before reading it."),
        };
        var problem = ApiErrors.Problem(status, title, detail);
        problem.Extensions[ApiErrors.TraceMember] = traceId;
        return JsonSerializer.SerializeToUtf8Bytes(problem, json);
    }
}
