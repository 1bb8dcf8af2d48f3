using GqaService.Api.Tests.Support;
using GqaService.Inference.Engine;

namespace GqaService.Api.Tests;

/// <summary>Every bad input is a 400 application/problem+json whose errors name the JSON field; none reaches the engine.</summary>
public sealed class ValidationTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "/v1/completions", "{", "body" },
        { "/v1/completions", """{"prompt":"Hi","max_tokens":"ten"}""", "max_tokens" },
        { "/v1/completions", """{"prompt":"Hi","temperature":"hot"}""", "temperature" },
        { "/v1/completions", """{"prompt":"Hi","stream":"yes"}""", "stream" },
        { "/v1/completions", """{"prompt":{"text":"Hi"}}""", "prompt" },
        { "/v1/completions", """{"prompt":"Hi","max_tokens":-1}""", "max_tokens" },
        { "/v1/completions", """{"prompt":"Hi","max_tokens":0}""", "max_tokens" },
        { "/v1/completions", """{"prompt":"Hi","max_tokens":100000}""", "max_tokens" },
        { "/v1/completions", """{"prompt":"Hi","max_tokens":99999999999}""", "max_tokens" },
        { "/v1/completions", """{"prompt":"Hi","temperature":2.5}""", "temperature" },
        { "/v1/completions", """{"prompt":"Hi","temperature":-0.1}""", "temperature" },
        { "/v1/completions", """{"prompt":"Hi","top_p":0}""", "top_p" },
        { "/v1/completions", """{"prompt":"Hi","top_p":1.5}""", "top_p" },
        { "/v1/completions", """{"prompt":"Hi","top_k":-1}""", "top_k" },
        { "/v1/completions", """{"prompt":"Hi","n":2}""", "n" },
        { "/v1/completions", """{"prompt":"Hi","stop":["a","b","c","d","e"]}""", "stop" },
        { "/v1/completions", """{"prompt":"Hi","stop":[1]}""", "stop" },
        { "/v1/completions", """{"prompt":""}""", "prompt" },
        { "/v1/completions", """{"prompt":[]}""", "prompt" },
        { "/v1/completions", """{"max_tokens":3}""", "prompt" },
        { "/v1/completions", """{"prompt":["a","b"]}""", "prompt" },
        { "/v1/completions", """{"prompt":[[1,2]]}""", "prompt" },
        { "/v1/completions", """{"prompt":[1,128]}""", "prompt" },
        { "/v1/completions", """{"prompt":[1,-3]}""", "prompt" },
        { "/v1/completions", """{"prompt":"Hi","session_id":"a"}""", "session_id" },
        { "/v1/chat/completions", """{"messages":[]}""", "messages" },
        { "/v1/chat/completions", """{"model":"x"}""", "messages" },
        { "/v1/chat/completions", """{"messages":"Hi"}""", "messages" },
        { "/v1/chat/completions", """{"messages":[{"role":"wizard","content":"Hi"}]}""", "messages[0].role" },
        { "/v1/chat/completions", """{"messages":[{"role":"user"}]}""", "messages[0].content" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}""", "messages[0].content" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":0}""", "max_completion_tokens" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"temperature":3}""", "temperature" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadRequest_Is400ProblemNamingTheField(string path, string json, string field)
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json.Body(json) };
        request.Headers.Add("X-Session-Id", "b"); // only disagrees with the one case that sends session_id "a"

        var problem = await Json.ProblemAsync(await client.SendAsync(request), 400);

        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"errors lacks '{field}': {errors}");
        Assert.False(string.IsNullOrEmpty(messages[0].GetString()));
        Assert.Empty(engine.Submitted);
    }

    [Fact]
    public async Task PromptLongerThanContext_NamesBothNumbers()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = Enumerable.Repeat(5, 65).ToArray() }));

        var message = (await Json.ProblemAsync(response, 400)).GetProperty("errors").GetProperty("prompt")[0].GetString();
        Assert.Contains("65", message);
        Assert.Contains("64", message);
    }

    [Fact]
    public async Task PromptFillingTheWholeContext_IsRefusedByTheApi_NotTheEngine()
    {
        // The engine needs one free position to generate into; the API must say so with its own message, before submitting.
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var full = await client.PostAsync("/v1/completions", Json.Body(new { prompt = Enumerable.Repeat(5, 64).ToArray() }));
        var fits = await client.PostAsync("/v1/completions", Json.Body(new { prompt = Enumerable.Repeat(5, 63).ToArray(), max_tokens = 1 }));

        var message = (await Json.ProblemAsync(full, 400)).GetProperty("errors").GetProperty("prompt")[0].GetString();
        Assert.Contains("64", message);
        Assert.Contains("63", message);
        Assert.Equal(200, (int)fits.StatusCode);
        Assert.Single(engine.Submitted);
    }

    [Fact]
    public async Task TextPromptWithoutTokenizer_IsRejected_ButTokenIdsStillWork()
    {
        var engine = new FakeInferenceEngine { Tokenizer = null };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var text = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi" }));
        var ids = await client.PostAsync("/v1/completions", Json.Body(new { prompt = new[] { 1, 5 }, max_tokens = 2 }));

        var problem = await Json.ProblemAsync(text, 400);
        Assert.Contains("tokenizer", problem.GetProperty("errors").GetProperty("prompt")[0].GetString());
        Assert.Equal(200, (int)ids.StatusCode);
    }

    [Theory]
    [InlineData("/v1/completions")]
    [InlineData("/v1/chat/completions")]
    public async Task EngineRefusal_Is400CarryingEveryFieldErrorAsTheEngineNamedIt(string path)
    {
        // The engine's errors already carry JSON names; the API passes them through unchanged, all of them.
        var engine = new FakeInferenceEngine
        {
            ThrowOnSubmit = new InvalidGenerationRequestException([new("messages", "first"), new("max_completion_tokens", "second"), new("messages", "third")]),
        };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();
        var json = path.Contains("chat") ? """{"messages":[{"role":"user","content":"Hi"}]}""" : """{"prompt":[1,2,3]}""";

        var errors = (await Json.ProblemAsync(await client.PostAsync(path, Json.Body(json)), 400)).GetProperty("errors");

        Assert.Equal(["first", "third"], errors.GetProperty("messages").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("second", errors.GetProperty("max_completion_tokens")[0].GetString());
    }

    [Theory]
    [InlineData("/v1/completions", "prompt")]
    [InlineData("/v1/chat/completions", "messages")]
    public async Task PromptBetweenTheConfiguredCapAndTheModelContext_Is400NamingThePromptField(string path, string field)
    {
        // The fake model's context is 64; Inference:MaxContext caps it at 32. The API must check the cap, not the model's 64.
        var engine = new FakeInferenceEngine { Options = new EngineOptions { MaxContext = 32 } };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();
        var text = new string('a', 39); // the fake tokenizer: BOS plus one id per character = 40 tokens
        object Body(string content) => path.Contains("chat")
            ? new { messages = new[] { new { role = "user", content } }, max_tokens = 1 }
            : new { prompt = content, max_tokens = 1 };

        var refused = await client.PostAsync(path, Json.Body(Body(text)));

        var message = (await Json.ProblemAsync(refused, 400)).GetProperty("errors").GetProperty(field)[0].GetString();
        Assert.Contains("32", message);
        Assert.Contains("64", message);
        Assert.Empty(engine.Submitted);
    }

    [Fact]
    public async Task PromptIdsAtTheCapBoundary_OneBelowIsServed_AtTheCapIsRefused()
    {
        var engine = new FakeInferenceEngine { Options = new EngineOptions { MaxContext = 32 } };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var fits = await client.PostAsync("/v1/completions", Json.Body(new { prompt = Enumerable.Repeat(5, 31).ToArray(), max_tokens = 1 }));
        var full = await client.PostAsync("/v1/completions", Json.Body(new { prompt = Enumerable.Repeat(5, 32).ToArray(), max_tokens = 1 }));

        Assert.Equal(200, (int)fits.StatusCode);
        await Json.ProblemAsync(full, 400);
        Assert.Single(engine.Submitted);
    }

    [Fact]
    public async Task EveryBadField_IsReportedInOneProblem()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new
        {
            prompt = new[] { 1, 500 }, max_tokens = 0, temperature = 9, top_p = 0, top_k = -1, stop = new[] { "" }, stop_token_ids = new[] { -1 },
        }));

        var errors = (await Json.ProblemAsync(response, 400)).GetProperty("errors");
        Assert.Equal(["max_tokens", "prompt", "stop", "stop_token_ids", "temperature", "top_k", "top_p"],
            errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Empty(engine.Submitted);
    }

    [Fact]
    public async Task WrongContentType_IsProblem()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", new StringContent("prompt=Hi", System.Text.Encoding.UTF8, "text/plain"));

        await Json.ProblemAsync(response, 415);
    }
}
