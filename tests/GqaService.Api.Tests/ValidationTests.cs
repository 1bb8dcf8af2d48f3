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
    [InlineData("/v1/completions", """{"prompt":[1,2,3]}""", "PromptTokenIds", "prompt")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}]}""", "PromptTokenIds", "messages")]
    [InlineData("/v1/completions", """{"prompt":[1,2,3]}""", "MaxTokens", "max_tokens")]
    public async Task EngineRefusesInput_Is400NamingTheJsonField(string path, string json, string engineField, string jsonField)
    {
        var engine = new FakeInferenceEngine { ThrowOnSubmit = new InvalidGenerationRequestException(engineField, "prompt (70 tokens) exceeds the context (64).") };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var problem = await Json.ProblemAsync(await client.PostAsync(path, Json.Body(json)), 400);

        Assert.Equal("prompt (70 tokens) exceeds the context (64).", problem.GetProperty("errors").GetProperty(jsonField)[0].GetString());
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
