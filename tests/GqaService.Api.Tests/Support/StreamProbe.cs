using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace GqaService.Api.Tests.Support;

/// <summary>
/// One streamed completion against a real server: signals its first token, keeps the raw body, and says how it ended
/// (a finish, an error event, a non-200 answer, or a broken connection).
/// </summary>
internal sealed class StreamProbe
{
    private readonly TaskCompletionSource _firstToken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _body = new();

    private StreamProbe(HttpClient client, int maxTokens) => Completion = RunAsync(client, maxTokens);

    /// <summary>Completes with the first token's chunk; faults if the stream ends before one arrives.</summary>
    public Task FirstToken => _firstToken.Task;

    public Task Completion { get; }

    public int StatusCode { get; private set; }

    /// <summary>The read failed (a reset, an aborted connection): the one ending a clean shutdown must never produce.</summary>
    public Exception? Broken { get; private set; }

    public string Body => _body.ToString();

    public static StreamProbe Start(HttpClient client, int maxTokens) => new(client, maxTokens);

    /// <summary>The JSON payloads before [DONE], asserting the stream is well formed and ends with exactly one [DONE].</summary>
    public IReadOnlyList<JsonElement> Payloads()
    {
        Assert.True(Broken is null, $"the stream broke: {Broken}\n{Body}");
        Assert.Equal(200, StatusCode);
        return ServerSentEvents.Payloads(Body);
    }

    /// <summary>"length"/"stop" for a stream that finished, "error:code" for one ended by an error event.</summary>
    public string Ending()
    {
        var last = Payloads()[^1];
        if (last.TryGetProperty("error", out var error))
        {
            return "error:" + error.GetProperty("code").GetString();
        }
        return last.GetProperty("choices")[0].GetProperty("finish_reason").GetString()!;
    }

    public int TokenChunks() => Payloads().Count(p => p.TryGetProperty("choices", out var c) && c.GetArrayLength() == 1
        && c[0].GetProperty("finish_reason").ValueKind == JsonValueKind.Null);

    private async Task RunAsync(HttpClient client, int maxTokens)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
            {
                Content = JsonContent.Create(new { prompt = new[] { 1 }, max_tokens = maxTokens, ignore_eos = true, temperature = 0, stream = true }),
            };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            StatusCode = (int)response.StatusCode;
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line)
            {
                _body.Append(line).Append('\n');
                if (line.StartsWith("data: {\"id\"", StringComparison.Ordinal))
                {
                    _firstToken.TrySetResult();
                }
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            Broken = exception;
        }
        finally
        {
            _firstToken.TrySetException(new InvalidOperationException($"The stream ended before its first token (status {StatusCode}): {Body}"));
        }
    }
}
