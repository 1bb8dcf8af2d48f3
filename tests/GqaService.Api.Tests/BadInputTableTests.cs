using System.Text;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>
/// Hostile and careless input against the real engine over a real port: every row gets its status, an RFC 7807 body that
/// carries OpenAI's error object naming the field (<c>error.param</c>), and leaves no KV block held and no session behind.
/// Rows marked @N in a path or header stand for N repeated characters (the URL and header limits of Kestrel itself).
/// </summary>
public sealed class BadInputTableTests(TinyEngineServer server) : IClassFixture<TinyEngineServer>
{
    private const string C = "/v1/completions";
    private const string Chat = "/v1/chat/completions";
    private const string Hi = """{"role":"user","content":"Hi"}""";

    public static TheoryData<string, string?, string?, int, string?> Rows => new()
    {
        // The body as a whole.
        { "POST " + C, "{", null, 400, "body" },
        { "POST " + C, "[]", null, 400, "body" },
        { "POST " + C, "null", null, 400, "body" },
        { "POST " + C, "", null, 400, "body" },
        { "POST " + C, "\"text\"", null, 400, "body" },
        { "POST " + C, """{"prompt":[1]}""", "Content-Type: text/plain", 415, null },
        { "POST " + C, $$$"""{"prompt":"{{{new string('a', TinyEngineServer.MaxBodyBytes)}}}"}""", null, 413, "body" },
        // Numbers sent as strings, and other wrong JSON types.
        { "POST " + C, """{"prompt":[1],"max_tokens":"10"}""", null, 400, "max_tokens" },
        { "POST " + C, """{"prompt":[1],"temperature":"0.5"}""", null, 400, "temperature" },
        { "POST " + C, """{"prompt":[1],"top_p":"1"}""", null, 400, "top_p" },
        { "POST " + C, """{"prompt":[1],"top_k":"5"}""", null, 400, "top_k" },
        { "POST " + C, """{"prompt":[1],"seed":"42"}""", null, 400, "seed" },
        { "POST " + C, """{"prompt":[1],"stream":"true"}""", null, 400, "stream" },
        { "POST " + C, """{"prompt":[1],"max_tokens":1.5}""", null, 400, "max_tokens" },
        { "POST " + C, """{"prompt":[1],"stop_token_ids":"2"}""", null, 400, "stop_token_ids" },
        { "POST " + C, """{"prompt":[1],"stream_options":"yes"}""", null, 400, "stream_options" },
        { "POST " + C, """{"prompt":[1],"ignore_eos":"no"}""", null, 400, "ignore_eos" },
        { "POST " + C, """{"prompt":[1],"return_token_ids":1}""", null, 400, "return_token_ids" },
        { "POST " + C, """{"prompt":[1],"stop":5}""", null, 400, "stop" },
        { "POST " + C, """{"prompt":[1],"stop":[1]}""", null, 400, "stop" },
        // Values out of range.
        { "POST " + C, """{"prompt":[1],"max_tokens":0}""", null, 400, "max_tokens" },
        { "POST " + C, """{"prompt":[1],"max_tokens":100000}""", null, 400, "max_tokens" },
        { "POST " + C, """{"prompt":[1],"temperature":2.5}""", null, 400, "temperature" },
        { "POST " + C, """{"prompt":[1],"top_p":0}""", null, 400, "top_p" },
        { "POST " + C, """{"prompt":[1],"top_k":-1}""", null, 400, "top_k" },
        { "POST " + C, """{"prompt":[1],"stop":["a","b","c","d","e"]}""", null, 400, "stop" },
        { "POST " + C, """{"prompt":[1],"stop_token_ids":[600]}""", null, 400, "stop_token_ids" },
        // The prompt.
        { "POST " + C, """{"max_tokens":3}""", null, 400, "prompt" },
        { "POST " + C, """{"prompt":""}""", null, 400, "prompt" },
        { "POST " + C, """{"prompt":[]}""", null, 400, "prompt" },
        { "POST " + C, """{"prompt":["a","b"]}""", null, 400, "prompt" },
        { "POST " + C, """{"prompt":[[1,2]]}""", null, 400, "prompt" },
        { "POST " + C, """{"prompt":{"text":"x"}}""", null, 400, "prompt" },
        { "POST " + C, """{"prompt":[1,512]}""", null, 400, "prompt" },
        { "POST " + C, """{"prompt":[-1]}""", null, 400, "prompt" },
        { "POST " + C, $$$"""{"prompt":[{{{string.Join(",", Enumerable.Repeat(5, 512))}}}]}""", null, 400, "prompt" },
        { "POST " + C, """{"prompt":"Hi"}""", null, 400, "prompt" },
        // Session ids.
        { "POST " + C, """{"prompt":[1],"session_id":"a/b"}""", null, 400, "session_id" },
        { "POST " + C, """{"prompt":[1],"session_id":"a\nforged log line"}""", null, 400, "session_id" },
        { "POST " + C, """{"prompt":[1],"session_id":""}""", null, 400, "session_id" },
        { "POST " + C, """{"prompt":[1],"session_id":" "}""", null, 400, "session_id" },
        { "POST " + C, $$$"""{"prompt":[1],"session_id":"{{{new string('s', 129)}}}"}""", null, 400, "session_id" },
        { "POST " + C, """{"prompt":[1],"session_id":5}""", null, 400, "session_id" },
        { "POST " + C, """{"prompt":[1]}""", "X-Session-Id: a b", 400, "session_id" },
        { "POST " + C, """{"prompt":[1],"session_id":"a"}""", "X-Session-Id: b", 400, "session_id" },
        // Known OpenAI fields the service does not implement.
        { "POST " + C, """{"prompt":[1],"suffix":"x"}""", null, 400, "suffix" },
        { "POST " + C, """{"prompt":[1],"echo":true}""", null, 400, "echo" },
        { "POST " + C, """{"prompt":[1],"best_of":3}""", null, 400, "best_of" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}],"tools":[{"type":"function","function":{"name":"f"}}]}""", null, 400, "tools" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}],"tool_choice":"auto"}""", null, 400, "tool_choice" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}],"functions":[{"name":"f"}]}""", null, 400, "functions" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}],"function_call":"auto"}""", null, 400, "function_call" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}],"response_format":{"type":"json_object"}}""", null, 400, "response_format" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}],"audio":{"voice":"alloy","format":"wav"}}""", null, 400, "audio" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}],"modalities":["text","audio"]}""", null, 400, "modalities" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}],"prediction":{"type":"content","content":"x"}}""", null, 400, "prediction" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}],"parallel_tool_calls":true}""", null, 400, "parallel_tool_calls" },
        // Messages: null, wrong types, empty values, each named messages[i].
        { "POST " + Chat, """{"messages":[null]}""", null, 400, "messages[0]" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}},null]}""", null, 400, "messages[1]" },
        { "POST " + Chat, """{"messages":[5]}""", null, 400, "messages[0]" },
        { "POST " + Chat, """{"messages":["Hi"]}""", null, 400, "messages[0]" },
        { "POST " + Chat, """{"messages":[[]]}""", null, 400, "messages[0]" },
        { "POST " + Chat, """{"messages":[{}]}""", null, 400, "messages[0].role" },
        { "POST " + Chat, """{"messages":[{"role":"user"}]}""", null, 400, "messages[0].content" },
        { "POST " + Chat, """{"messages":[{"role":"user","content":null}]}""", null, 400, "messages[0].content" },
        { "POST " + Chat, """{"messages":[{"role":"user","content":""}]}""", null, 400, "messages[0].content" },
        { "POST " + Chat, """{"messages":[{"role":"user","content":[]}]}""", null, 400, "messages[0].content" },
        { "POST " + Chat, """{"messages":[{"role":"user","content":5}]}""", null, 400, "messages[0].content" },
        { "POST " + Chat, """{"messages":[{"role":"user","content":[null]}]}""", null, 400, "messages[0].content" },
        { "POST " + Chat, """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", null, 400, "messages[0].content" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}},{"role":"user","content":{"a":1}}]}""", null, 400, "messages[1].content" },
        { "POST " + Chat, """{"messages":[{"role":null,"content":"Hi"}]}""", null, 400, "messages[0].role" },
        { "POST " + Chat, """{"messages":[{"role":"","content":"Hi"}]}""", null, 400, "messages[0].role" },
        { "POST " + Chat, """{"messages":[{"role":5,"content":"Hi"}]}""", null, 400, "messages[0].role" },
        { "POST " + Chat, """{"messages":[{"role":"wizard","content":"Hi"}]}""", null, 400, "messages[0].role" },
        { "POST " + Chat, """{"messages":[{"role":"tool","content":"42","tool_call_id":"c1"}]}""", null, 400, "messages[0].role" },
        { "POST " + Chat, """{"messages":[{"role":"assistant","content":"x","tool_calls":[{"id":"c1"}]}]}""", null, 400, "messages[0].tool_calls" },
        { "POST " + Chat, """{"messages":[]}""", null, 400, "messages" },
        { "POST " + Chat, """{"messages":"Hi"}""", null, 400, "messages" },
        { "POST " + Chat, """{"messages":null}""", null, 400, "messages" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}],"max_completion_tokens":"5"}""", null, 400, "max_completion_tokens" },
        { "POST " + Chat, $$$"""{"messages":[{{{Hi}}}]}""", null, 400, "messages" },
        // Other endpoints.
        { "GET /v1/models/no-such-model", null, null, 404, "model" },
        { "GET /v1/sessions/nobody", null, null, 404, "id" },
        { "GET /v1/sessions/bad!id", null, null, 400, "id" },
        { "DELETE /v1/sessions/a%20b", null, null, 400, "id" },
        { "DELETE /v1/sessions/nobody", null, null, 404, "id" },
        { "POST /tokenize", "{}", null, 400, "prompt" },
        { "POST /tokenize", $$$"""{"prompt":"a","messages":[{{{Hi}}}]}""", null, 400, "prompt" },
        { "POST /tokenize", """{"messages":[null]}""", null, 400, "messages[0]" },
        { "POST /tokenize", """{"prompt":"Hi"}""", null, 400, "prompt" },
        { "POST /detokenize", """{"tokens":[600]}""", null, 400, "tokens[0]" },
        { "POST /detokenize", "{}", null, 400, "tokens" },
        { "POST /detokenize", """{"tokens":"1"}""", null, 400, "tokens" },
        { "GET /v1/nothing-here", null, null, 404, null },
        { "PUT " + C, """{"prompt":[1]}""", null, 405, null },
        // Kestrel's own rejections.
        { "GET /v1/models/@9000", null, null, 414, null },
        { "GET /v1/models", null, "X-Big: @40000", 431, null },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task BadInput_GetsItsStatusAndParam_AndHoldsNoKvBlock(string request, string? body, string? header, int status, string? param)
    {
        using var client = server.Client();
        var (method, path) = (request[..request.IndexOf(' ')], Expand(request[(request.IndexOf(' ') + 1)..]));
        using var message = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            message.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        if (header is not null)
        {
            var (name, value) = (header[..header.IndexOf(':')], Expand(header[(header.IndexOf(':') + 1)..].Trim()));
            if (name == "Content-Type")
            {
                message.Content!.Headers.ContentType = new(value);
            }
            else
            {
                message.Headers.Add(name, value);
            }
        }

        var response = await client.SendAsync(message);

        var problem = await Json.ProblemAsync(response, status);
        var error = problem.GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(status >= 500 ? "server_error" : "invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("code").GetString()));
        var memory = await Json.ReadAsync(await client.GetAsync("/v1/memory"));
        Assert.Equal(0, memory.GetProperty("blocks_used").GetInt32());
        Assert.Equal(0, memory.GetProperty("running_sequences").GetInt32());
        Assert.Equal(0, memory.GetProperty("sessions").GetArrayLength());
    }

    [Theory]
    [InlineData("GET /v1/models HTTP/1.1 trailing-garbage")]
    [InlineData("GET /v1/models HTTP/9.9")]
    [InlineData("G\u0001T /v1/models HTTP/1.1")]
    public async Task MalformedRequestLine_KestrelsOwn400_CarriesTheProblemAndErrorObject(string requestLine)
    {
        var address = new Uri(server.BaseUrl);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{requestLine}\r\nHost: x\r\n\r\n"));

        // Kestrel closes the connection after a rejection, so the whole answer is everything until EOF.
        var answer = await new StreamReader(stream, Encoding.UTF8).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var (head, body) = (answer[..answer.IndexOf("\r\n\r\n", StringComparison.Ordinal)], answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        Assert.Matches(@"^HTTP/1\.1 (400|505) ", head);
        Assert.Contains("Content-Type: application/problem+json", head);
        Assert.Contains($"Content-Length: {Encoding.UTF8.GetByteCount(body)}", head);
        var problem = System.Text.Json.JsonDocument.Parse(body).RootElement;
        Assert.Equal(int.Parse(head[9..12], System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("status").GetInt32());
        Assert.Equal("invalid_request_error", problem.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, problem.GetProperty("error").GetProperty("param").ValueKind);
    }

    [Fact]
    public void Table_HasAtLeastSixtyRows() => Assert.True(Rows.Count >= 60, $"{Rows.Count} rows");

    /// <summary>"@N" is N repeated characters (a path segment or a header value).</summary>
    private static string Expand(string text) =>
        text.IndexOf('@') is var at and >= 0 ? text[..at] + new string('a', int.Parse(text[(at + 1)..], System.Globalization.CultureInfo.InvariantCulture)) : text;
}
