using System.Net;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>POST /tokenize and /detokenize (vLLM's shapes): what they show is what the generation endpoints feed the engine.</summary>
public sealed class TokenizeEndpointTests
{
    private static readonly object[] Conversation = [new { role = "system", content = "Be brief." }, new { role = "user", content = "Hi" }];

    [Fact]
    public async Task TokenizeMessages_EqualsExactlyTheIdsTheChatEndpointSubmits()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var tokenized = await Json.ReadAsync(await client.PostAsync("/tokenize", Json.Body(new { messages = Conversation })));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/chat/completions", Json.Body(new { messages = Conversation, max_tokens = 1 }))).StatusCode);

        var submitted = Assert.Single(engine.Submitted).PromptTokenIds;
        Assert.Equal(submitted, tokenized.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal(submitted.Count, tokenized.GetProperty("count").GetInt32());
        Assert.Equal(FakeInferenceEngine.MaxContext, tokenized.GetProperty("max_model_len").GetInt32());
    }

    [Fact]
    public async Task TokenizePrompt_EqualsTheIdsTheCompletionEndpointSubmits_AndAddSpecialTokensFalseDropsBos()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var withBos = await TokensAsync(client, new { prompt = "Once" });
        var withoutBos = await TokensAsync(client, new { prompt = "Once", add_special_tokens = false });
        await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Once", max_tokens = 1 }));

        Assert.Equal(Assert.Single(engine.Submitted).PromptTokenIds, withBos);
        Assert.Equal(new[] { 1, 'O', 'n', 'c', 'e' }, withBos);
        Assert.Equal(withBos[1..], withoutBos);
    }

    [Fact]
    public async Task TokenizeMessages_WithoutGenerationPrompt_IsThePrefixBeforeTheAssistantTurn()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        var open = await TokensAsync(client, new { messages = Conversation });
        var closed = await TokensAsync(client, new { messages = Conversation, add_generation_prompt = false });

        Assert.Equal(open[..closed.Length], closed);
        Assert.Equal("Assistant:", new string(open[closed.Length..].Select(id => (char)id).ToArray()));
    }

    [Fact]
    public async Task TokenStrs_AndDetokenize_RoundTrip()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        var tokenized = await Json.ReadAsync(await client.PostAsync("/tokenize", Json.Body(new { prompt = "Hey", return_token_strs = true })));
        var ids = tokenized.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        var detokenized = await Json.ReadAsync(await client.PostAsync("/detokenize", Json.Body(new { tokens = ids })));

        Assert.Equal(new[] { "", "H", "e", "y" }, tokenized.GetProperty("token_strs").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("Hey", detokenized.GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task Tokenize_WithKeysOn_NeedsAKey_AndIsInTheSwaggerDocument()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), new Dictionary<string, string?> { ["Api:ApiKeys:0"] = "k" });
        using var client = app.CreateClient();

        var refused = await client.PostAsync("/tokenize", Json.Body(new { prompt = "Hi" }));
        var document = await Json.ReadAsync(await client.GetAsync("/swagger/v1/swagger.json"));

        Assert.Equal("authentication_error", (await Json.ProblemAsync(refused, 401)).GetProperty("error").GetProperty("type").GetString());
        Assert.True(document.GetProperty("paths").TryGetProperty("/tokenize", out _));
        Assert.True(document.GetProperty("paths").TryGetProperty("/detokenize", out _));
    }

    private static async Task<int[]> TokensAsync(HttpClient client, object body)
    {
        var response = await client.PostAsync("/tokenize", Json.Body(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await Json.ReadAsync(response)).GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32())];
    }
}
