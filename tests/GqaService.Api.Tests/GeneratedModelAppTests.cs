using System.Diagnostics;
using System.Net;
using GqaService.Api.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GqaService.Api.Tests;

/// <summary>
/// The shipped app (engine from AddInference, no fakes) on a generated stories260K-shaped checkpoint with seeded random
/// weights: sessions, rejected and disconnected requests, stop ids and metrics need no reference model, so they run on
/// every clone. What compares text or ids with the reference stays in <see cref="RealModelTests"/>.
/// </summary>
public sealed class GeneratedModelAppTests
{
    private static WebApplicationFactory<Program> CreateApp() => TestApp.CreateReal(new Dictionary<string, string?>
    {
        ["Inference:ModelPath"] = TinyCheckpoints.StoriesShaped,
    });

    [Fact]
    public async Task GeneratedModel_SessionSecondTurn_ReusesCache_AndEqualsAFreshFullPrompt()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
        int[] firstPrompt = [1, 403, 407, 261, 378, 5, 9, 300, 44, 12, 77];
        var first = await RealModelTests.CompleteAsync(client, new { prompt = firstPrompt, max_tokens = 20, temperature = 0, return_token_ids = true, session_id = "turns" });
        int[] secondPrompt = [.. firstPrompt, .. RealModelTests.TokenIds(first), 13, 1];

        var second = await RealModelTests.CompleteAsync(client, new { prompt = secondPrompt, max_tokens = 20, temperature = 0, return_token_ids = true, session_id = "turns" });
        var fresh = await RealModelTests.CompleteAsync(client, new { prompt = secondPrompt, max_tokens = 20, temperature = 0, return_token_ids = true });

        Assert.True(second.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32() > 0);
        Assert.Equal(RealModelTests.TokenIds(fresh), RealModelTests.TokenIds(second));
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync("/v1/sessions/turns")).StatusCode);
    }

    [Fact]
    public async Task GeneratedModel_AfterEveryRejectedRequest_NoKvBlocksAreHeld()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
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

    [Fact]
    public async Task GeneratedModel_ClientDisconnectsMidStream_BlocksAreFreedWithinOneSecond()
    {
        await using var app = CreateApp();
        var baseUrl = TestApp.StartKestrel(app);
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri(baseUrl) };
        await RealModelTests.WaitUntilReadyAsync(client);
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

    [Fact]
    public async Task GeneratedModel_StopTokenIds_EndTheOutputBeforeThatToken()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
        var expected = RealModelTests.TokenIds(await RealModelTests.CompleteAsync(client, new { prompt = new[] { 1 }, max_tokens = 200, temperature = 0,
            ignore_eos = true, return_token_ids = true }));
        var stopAt = Array.IndexOf(expected, expected[10]);

        var completion = await RealModelTests.CompleteAsync(client, new { prompt = new[] { 1 }, max_tokens = 200, temperature = 0, ignore_eos = true,
            return_token_ids = true, stop_token_ids = new[] { expected[10] } });

        Assert.Equal(expected[..stopAt], RealModelTests.TokenIds(completion));
        Assert.Equal("stop", completion.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task GeneratedModel_Metrics_CarryKvAndLatencySeries()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
        await RealModelTests.CompleteAsync(client, new { prompt = new[] { 1 }, max_tokens = 20, temperature = 0 });

        var samples = PrometheusText.Parse(await client.GetStringAsync("/metrics"));

        Assert.Contains(samples, s => s.Name.StartsWith("gqa_engine", StringComparison.Ordinal) && s.Name.Contains("kv", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(samples, s => s.Name == "gqa_api_time_to_first_token_seconds_count" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "gqa_api_inter_token_latency_seconds_count" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name.StartsWith("gqa_engine", StringComparison.Ordinal) && s.Name.EndsWith("_bucket", StringComparison.Ordinal));
    }
}
