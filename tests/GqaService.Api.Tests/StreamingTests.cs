using System.Net;
using System.Text.Json;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

public sealed class StreamingTests
{
    [Fact]
    public async Task StreamingCompletion_IsDataLinesOfTextCompletionChunks_ThenDone()
    {
        var engine = new FakeInferenceEngine { Script = "abc" };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", max_tokens = 10, stream = true }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var raw = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("event:", raw);
        var chunks = ServerSentEvents.Payloads(raw);
        Assert.Equal(4, chunks.Count);
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.Equal("abc", string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.All(chunks.Take(3), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        Assert.Equal("stop", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.All(chunks, c => Assert.False(c.TryGetProperty("usage", out _)));
    }

    [Fact]
    public async Task StreamingChat_StartsWithRole_CarriesTokenIds_AndUsageOnlyWhenAsked()
    {
        var engine = new FakeInferenceEngine { Script = "xy" };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/chat/completions", Json.Body(new
        {
            messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 2, stream = true,
            stream_options = new { include_usage = true }, return_token_ids = true,
        }));

        var chunks = ServerSentEvents.Payloads(await response.Content.ReadAsStringAsync());
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("x", chunks[1].GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(['x'], chunks[1].GetProperty("choices")[0].GetProperty("token_ids").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal(['y'], chunks[2].GetProperty("choices")[0].GetProperty("token_ids").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal("length", chunks[3].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usageChunk = chunks[4];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(2, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(5, chunks.Count);
    }

    [Fact]
    public async Task StreamingChat_EngineFailsMidStream_SendsErrorEventThenDone()
    {
        var engine = new FakeInferenceEngine { Script = "abcdef", FailAfterTokens = 2 };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/chat/completions", Json.Body(new { messages = new[] { new { role = "user", content = "Hi" } }, stream = true }));

        var chunks = ServerSentEvents.Payloads(await response.Content.ReadAsStringAsync());
        var error = chunks[^1].GetProperty("error");
        Assert.Equal("fake_failure", error.GetProperty("code").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal(4, chunks.Count); // role, a, b, error
    }

    [Fact]
    public async Task EngineFailsBeforeFirstToken_Is500Problem()
    {
        var engine = new FakeInferenceEngine { FailAfterTokens = 0 };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", stream = true }));

        var problem = await Json.ProblemAsync(response, 500);
        Assert.Equal("fake_failure", problem.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EngineDeadlinePassesBeforeFirstToken_Is503Problem(bool stream)
    {
        var engine = new FakeInferenceEngine { DeadlineAfterTokens = 0 };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", stream }));

        var problem = await Json.ProblemAsync(response, 503);
        Assert.Equal("The request timed out before generation started.", problem.GetProperty("title").GetString());
        Assert.Equal("deadline_exceeded", problem.GetProperty("code").GetString());
        Assert.Null(Assert.Single(engine.Submitted).Deadline);
    }

    [Fact]
    public async Task EngineDeadlinePassesAfterTokens_NonStreamed_Is503SayingGenerationHadStarted()
    {
        var engine = new FakeInferenceEngine { Script = "abcdef", DeadlineAfterTokens = 2 };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var problem = await Json.ProblemAsync(await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi" })), 503);

        Assert.Equal("The request timed out during generation.", problem.GetProperty("title").GetString());
        Assert.Contains("produced 2 generated tokens", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task EngineDeadlinePassesMidStream_EndsWithATimeoutErrorEventAndDone()
    {
        var engine = new FakeInferenceEngine { Script = "abcdef", DeadlineAfterTokens = 2 };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", stream = true }));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var error = ServerSentEvents.Payloads(body)[^1];
        Assert.Equal(503, error.GetProperty("status").GetInt32());
        Assert.Equal("deadline_exceeded", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("server_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.EndsWith("data: [DONE]\n\n", body);
    }

    [Fact]
    public async Task ClientDisconnectsMidStream_EngineSeesCancelWithinOneSecond()
    {
        var engine = new FakeInferenceEngine { Script = "abcdef", PauseAfterTokens = 2 };
        await using var app = TestApp.Create(engine);
        var baseUrl = TestApp.StartKestrel(app);
        // No draining on dispose: close the connection at once, as a client that goes away does.
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 });
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/completions") { Content = Json.Body(new { prompt = "Hi", stream = true }) };

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[256];
        Assert.True(await stream.ReadAsync(buffer) > 0);
        var requestId = Assert.Single(engine.Submitted).RequestId;
        Assert.False(engine.CancelledAsync(requestId).IsCompleted);
        var disconnected = DateTimeOffset.UtcNow;
        response.Dispose();

        var cancelledAt = await engine.CancelledAsync(requestId).WaitAsync(TimeSpan.FromSeconds(1));
        Assert.True(cancelledAt - disconnected < TimeSpan.FromSeconds(1));
    }
}
