using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using GqaService.Api.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using OpenAI;
using OpenAI.Chat;

namespace GqaService.Api.Tests;

/// <summary>
/// REAL-MODEL TESTS: the shipped app (engine from AddInference, no fakes) serving shared/models/stories260K. They skip when the
/// model is absent and are expected to fail until the engine is merged into main.
/// </summary>
[Trait("Category", "RealModel")]
public sealed class RealModelTests
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    [RealModelFact]
    public async Task RealModel_OpenAiClientStreamedChat_EqualsNonStreamedText()
    {
        await using var app = CreateApp();
        var baseUrl = TestApp.StartKestrel(app);
        await WaitUntilReadyAsync(app.CreateClient());
        var chat = new OpenAIClient(new ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = new Uri(baseUrl + "/v1") }).GetChatClient("stories260K");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40 };
        ChatMessage[] messages = [new UserChatMessage("Tell me a story about a cat.")];

        var streamed = new StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }
        }
        ChatCompletion whole = await chat.CompleteChatAsync(messages, options);

        Assert.False(string.IsNullOrEmpty(whole.Content[0].Text));
        Assert.Equal(whole.Content[0].Text, streamed.ToString());
    }

    [RealModelFact]
    public async Task RealModel_GreedyFromBos_TokenIdsEqualTheReference_StreamingAndNot()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await WaitUntilReadyAsync(client);
        var expected = ExpectedGreedyIds();
        object Request(bool stream) => new { prompt = new[] { 1 }, max_tokens = 200, temperature = 0, ignore_eos = true, return_token_ids = true, stream };

        var whole = await Json.ReadAsync(await client.PostAsync("/v1/completions", Json.Body(Request(stream: false))));
        var raw = await (await client.PostAsync("/v1/completions", Json.Body(Request(stream: true)))).Content.ReadAsStringAsync();

        var choice = whole.GetProperty("choices")[0];
        Assert.Equal(expected, choice.GetProperty("token_ids").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var streamedIds = ServerSentEvents.Payloads(raw)
            .Select(c => c.GetProperty("choices"))
            .Where(c => c.GetArrayLength() > 0 && c[0].TryGetProperty("token_ids", out _))
            .SelectMany(c => c[0].GetProperty("token_ids").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal(expected, streamedIds);
    }

    // ENGINE BUG (src/Inference, SentencePieceTextTokenizer.Encode): any one-character text ("x", "a", " x") encodes to no
    // ids at all, not even BOS, so a valid prompt is refused with "The prompt is empty". Found in end-to-end QA.
    [RealModelFact]
    public async Task RealModel_OneCharacterTextPrompt_IsServed()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await WaitUntilReadyAsync(client);

        var completion = await CompleteAsync(client, new { prompt = "x", max_tokens = 2, temperature = 0 });

        Assert.True(completion.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() >= 2, "BOS plus at least one token for 'x'");
    }

    private static WebApplicationFactory<Program> CreateApp() => TestApp.CreateReal(new Dictionary<string, string?>
    {
        ["Inference:ModelPath"] = SharedModels.Stories260KBin,
        ["Inference:TokenizerPath"] = SharedModels.Stories260KTokenizer,
    });

    internal static async Task WaitUntilReadyAsync(HttpClient client)
    {
        var clock = Stopwatch.StartNew();
        while ((await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < ReadyTimeout, $"the engine was not ready within {ReadyTimeout.TotalSeconds} s");
            await Task.Delay(100);
        }
    }

    internal static async Task<JsonElement> CompleteAsync(HttpClient client, object body)
    {
        var response = await client.PostAsync("/v1/completions", Json.Body(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Json.ReadAsync(response);
    }

    internal static int[] TokenIds(JsonElement completion) =>
        completion.GetProperty("choices")[0].GetProperty("token_ids").EnumerateArray().Select(i => i.GetInt32()).ToArray();

    private static int[] ExpectedGreedyIds()
    {
        var first = ExpectedGreedyCase.Load()[0];
        Assert.Equal([1], first.PromptIds);
        return first.ExpectedIds;
    }
}
