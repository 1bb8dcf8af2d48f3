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

    [RealModelFact]
    public async Task RealModel_SessionSecondTurn_ReusesCache_AndEqualsAFreshFullPrompt()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await WaitUntilReadyAsync(client);
        int[] firstPrompt = [1, .. ExpectedGreedyIds().Take(10)];
        var first = await CompleteAsync(client, new { prompt = firstPrompt, max_tokens = 20, temperature = 0, return_token_ids = true, session_id = "turns" });
        int[] secondPrompt = [.. firstPrompt, .. TokenIds(first), 13, 1];

        var second = await CompleteAsync(client, new { prompt = secondPrompt, max_tokens = 20, temperature = 0, return_token_ids = true, session_id = "turns" });
        var fresh = await CompleteAsync(client, new { prompt = secondPrompt, max_tokens = 20, temperature = 0, return_token_ids = true });

        Assert.True(second.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32() > 0);
        Assert.Equal(TokenIds(fresh), TokenIds(second));
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync("/v1/sessions/turns")).StatusCode);
    }

    [RealModelFact]
    public async Task RealModel_AfterEveryRejectedRequest_NoKvBlocksAreHeld()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await WaitUntilReadyAsync(client);
        string[] bad =
        [
            """{"prompt":[1,512]}""",
            $$"""{"prompt":[{{string.Join(",", Enumerable.Repeat(5, 513))}}]}""",
            """{"prompt":[1],"max_tokens":0}""",
            """{"prompt":[1],"temperature":3}""",
            "{\"prompt\":\"\"}",
            """{"messages":[]}""",
        ];

        foreach (var json in bad)
        {
            var path = json.Contains("messages") ? "/v1/chat/completions" : "/v1/completions";
            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(path, Json.Body(json))).StatusCode);
            var memory = await Json.ReadAsync(await client.GetAsync("/v1/memory"));
            Assert.Equal(0, memory.GetProperty("sessions").GetArrayLength());
            Assert.Equal(0, memory.GetProperty("blocks_used").GetInt32());
        }
    }

    [RealModelFact]
    public async Task RealModel_ClientDisconnectsMidStream_BlocksAreFreedWithinOneSecond()
    {
        await using var app = CreateApp();
        var baseUrl = TestApp.StartKestrel(app);
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri(baseUrl) };
        await WaitUntilReadyAsync(client);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Json.Body(new { prompt = new[] { 1 }, max_tokens = 500, temperature = 0, ignore_eos = true, stream = true }),
        };

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        Assert.True(await stream.ReadAsync(new byte[64]) > 0);
        response.Dispose();

        var clock = Stopwatch.StartNew();
        var blocksUsed = -1;
        while (clock.Elapsed < TimeSpan.FromSeconds(1))
        {
            blocksUsed = (await Json.ReadAsync(await client.GetAsync("/v1/memory"))).GetProperty("blocks_used").GetInt32();
            if (blocksUsed == 0)
            {
                break;
            }
            await Task.Delay(20);
        }
        Assert.Equal(0, blocksUsed);
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

    [RealModelFact]
    public async Task RealModel_StopTokenIds_EndTheOutputBeforeThatToken()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await WaitUntilReadyAsync(client);
        var expected = ExpectedGreedyIds();
        var stopAt = Array.IndexOf(expected, expected[10]);

        var completion = await CompleteAsync(client, new { prompt = new[] { 1 }, max_tokens = 200, temperature = 0, ignore_eos = true,
            return_token_ids = true, stop_token_ids = new[] { expected[10] } });

        Assert.Equal(expected[..stopAt], TokenIds(completion));
        Assert.Equal("stop", completion.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [RealModelFact]
    public async Task RealModel_Metrics_CarryKvAndLatencySeries()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await WaitUntilReadyAsync(client);
        await CompleteAsync(client, new { prompt = new[] { 1 }, max_tokens = 20, temperature = 0 });

        var samples = PrometheusText.Parse(await client.GetStringAsync("/metrics"));

        Assert.Contains(samples, s => s.Name.StartsWith("gqa_engine", StringComparison.Ordinal) && s.Name.Contains("kv", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(samples, s => s.Name == "gqa_api_time_to_first_token_seconds_count" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "gqa_api_inter_token_latency_seconds_count" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name.StartsWith("gqa_engine", StringComparison.Ordinal) && s.Name.EndsWith("_bucket", StringComparison.Ordinal));
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

    private static async Task<JsonElement> CompleteAsync(HttpClient client, object body)
    {
        var response = await client.PostAsync("/v1/completions", Json.Body(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Json.ReadAsync(response);
    }

    private static int[] TokenIds(JsonElement completion) =>
        completion.GetProperty("choices")[0].GetProperty("token_ids").EnumerateArray().Select(i => i.GetInt32()).ToArray();

    private static int[] ExpectedGreedyIds()
    {
        var first = ExpectedGreedyCase.Load()[0];
        Assert.Equal([1], first.PromptIds);
        return first.ExpectedIds;
    }
}
