using System.Text.Json;

namespace GqaService.Api.Generation;

/// <summary>
/// Writes OpenAI-style Server-Sent Events by hand: <c>data: {json}</c> and a blank line, flushed per event, no <c>event:</c>
/// lines (OpenAI streams carry none), and <c>data: [DONE]</c> at the end.
/// </summary>
internal sealed class SseWriter(HttpResponse response, JsonSerializerOptions json, CancellationToken cancellationToken)
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] Terminator = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public static void PrepareHeaders(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }

    public async Task WriteAsync<T>(T payload)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(payload, json);
        var frame = new byte[Prefix.Length + body.Length + Terminator.Length];
        Prefix.CopyTo(frame, 0);
        body.CopyTo(frame, Prefix.Length);
        Terminator.CopyTo(frame, Prefix.Length + body.Length);
        await response.Body.WriteAsync(frame, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    public async Task WriteDoneAsync()
    {
        await response.Body.WriteAsync(Done, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
