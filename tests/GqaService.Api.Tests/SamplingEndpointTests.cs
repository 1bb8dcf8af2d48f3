using System.Net;
using System.Text;
using System.Text.Json;
using GqaService.Api.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GqaService.Api.Tests;

/// <summary>
/// n, logprobs and the sampling knobs over HTTP against the shipped app and its real engine: a generated checkpoint for
/// token-id completions, the built-in demo model (GPT-2's tokenizer) for chat.
/// </summary>
public sealed class SamplingEndpointTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378, 5, 9, 300, 44, 12, 77, 19, 250, 31, 8, 140, 2, 90, 60, 33, 480];

    private static WebApplicationFactory<Program> StoriesShapedApp() => TestApp.CreateReal(new Dictionary<string, string?>
    {
        ["Inference:ModelPath"] = TinyCheckpoints.StoriesShaped,
    });

    private static object Request(int n, long seed, bool stream, float temperature = 2f) => new
    {
        prompt = Prompt, max_tokens = 12, temperature, top_p = 1, seed, n, best_of = n, return_token_ids = true, logprobs = 3, ignore_eos = true,
        stream, stream_options = stream ? new { include_usage = true } : null,
    };

    [Fact]
    public async Task NOf3_StreamedAndNot_EachChoiceEqualsAnNOf1RequestWithSeedPlusIndex_UsageCountsThePromptOnce()
    {
        await using var app = StoriesShapedApp();
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);

        var whole = await RealModelTests.CompleteAsync(client, Request(3, seed: 41, stream: false));
        var singles = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            singles.Add(await RealModelTests.CompleteAsync(client, Request(1, seed: 41 + i, stream: false)));
        }
        var streamResponse = await client.PostAsync("/v1/completions", Json.Body(Request(3, seed: 41, stream: true)));
        var chunks = ServerSentEvents.Payloads(await streamResponse.Content.ReadAsStringAsync());

        var choices = whole.GetProperty("choices");
        Assert.Equal(3, choices.GetArrayLength());
        for (var i = 0; i < 3; i++)
        {
            var choice = choices[i];
            Assert.Equal(i, choice.GetProperty("index").GetInt32());
            Assert.Equal(Ids(singles[i].GetProperty("choices")[0]), Ids(choice));
            var logprobs = choice.GetProperty("logprobs");
            Assert.Equal(12, logprobs.GetProperty("tokens").GetArrayLength());
            Assert.Equal(Ids(choice).Select(id => $"token_id:{id}"), logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
            Assert.All(logprobs.GetProperty("token_logprobs").EnumerateArray(), l => Assert.True(l.GetDouble() <= 0));
            Assert.All(logprobs.GetProperty("top_logprobs").EnumerateArray(), top => Assert.InRange(top.EnumerateObject().Count(), 1, 3));
            Assert.Equal(12, logprobs.GetProperty("text_offset").GetArrayLength());

            var streamed = chunks.Where(c => c.GetProperty("choices").GetArrayLength() == 1 && c.GetProperty("choices")[0].GetProperty("index").GetInt32() == i)
                .Select(c => c.GetProperty("choices")[0]).ToList();
            Assert.Equal(Ids(choice), streamed.SelectMany(c => c.TryGetProperty("token_ids", out var ids) && ids.ValueKind == JsonValueKind.Array
                ? ids.EnumerateArray().Select(id => id.GetInt32()) : []));
            Assert.Single(streamed, c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.String);
            Assert.Equal(logprobs.GetProperty("token_logprobs").EnumerateArray().Select(l => Math.Round(l.GetDouble(), 4)),
                streamed.Where(c => c.GetProperty("logprobs").ValueKind == JsonValueKind.Object)
                    .SelectMany(c => c.GetProperty("logprobs").GetProperty("token_logprobs").EnumerateArray().Select(l => Math.Round(l.GetDouble(), 4))));
        }
        Assert.True(Enumerable.Range(0, 3).Select(i => string.Join(",", Ids(choices[i]))).Distinct().Count() > 1, "three seeds should not all agree");

        var usage = whole.GetProperty("usage");
        Assert.Equal(Prompt.Length, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(36, usage.GetProperty("completion_tokens").GetInt32());
        var memory = await Json.ReadAsync(await client.GetAsync("/v1/memory"));
        var blockSize = memory.GetProperty("block_size").GetInt32();
        Assert.Equal((Prompt.Length + blockSize - 1) / blockSize, usage.GetProperty("kv").GetProperty("shared_blocks").GetInt32());
        Assert.Equal(0, singles[0].GetProperty("usage").GetProperty("kv").GetProperty("shared_blocks").GetInt32());
        var streamedUsage = chunks[^1].GetProperty("usage");
        Assert.Equal(36, streamedUsage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(Prompt.Length, streamedUsage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(0, memory.GetProperty("blocks_used").GetInt32());
    }

    [Fact]
    public async Task ALogitBiasOfPlus100ForcesTheToken_OverHttp()
    {
        await using var app = StoriesShapedApp();
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);

        var forced = await RealModelTests.CompleteAsync(client, new
        {
            prompt = Prompt, max_tokens = 8, temperature = 1.5, seed = 3, return_token_ids = true, ignore_eos = true,
            logit_bias = new Dictionary<string, int> { ["123"] = 100 },
        });

        Assert.Equal(Enumerable.Repeat(123, 8), Ids(forced.GetProperty("choices")[0]));
    }

    [Fact]
    public async Task ChatLogprobs_StreamedAndNot_NameEachTokenWithItsBytes_AndTheBytesSpellTheText()
    {
        await using var app = TestApp.CreateReal(new Dictionary<string, string?>());
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
        object Body(bool stream) => new
        {
            messages = new[] { new { role = "user", content = "Tell me a story." } }, max_tokens = 10, temperature = 1, seed = 8, n = 2,
            logprobs = true, top_logprobs = 4, stream,
        };

        var whole = await Json.ReadAsync(await client.PostAsync("/v1/chat/completions", Json.Body(Body(false))));
        var chunks = ServerSentEvents.Payloads(await (await client.PostAsync("/v1/chat/completions", Json.Body(Body(true)))).Content.ReadAsStringAsync());

        Assert.Equal(2, whole.GetProperty("choices").GetArrayLength());
        for (var i = 0; i < 2; i++)
        {
            var choice = whole.GetProperty("choices")[i];
            var content = choice.GetProperty("logprobs").GetProperty("content").EnumerateArray().ToList();
            Assert.Equal(10, content.Count);
            var bytes = content.SelectMany(c => c.GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32())).ToArray();
            Assert.Equal(choice.GetProperty("message").GetProperty("content").GetString(), Encoding.UTF8.GetString(bytes));
            Assert.All(content, c => Assert.Equal(4, c.GetProperty("top_logprobs").GetArrayLength()));
            Assert.All(content, c => Assert.True(c.GetProperty("top_logprobs")[0].GetProperty("logprob").GetDouble() >= c.GetProperty("logprob").GetDouble() - 1e-9));

            var streamedContent = chunks.Where(c => c.GetProperty("choices").GetArrayLength() == 1 && c.GetProperty("choices")[0].GetProperty("index").GetInt32() == i)
                .Select(c => c.GetProperty("choices")[0].GetProperty("logprobs"))
                .Where(l => l.ValueKind == JsonValueKind.Object)
                .SelectMany(l => l.GetProperty("content").EnumerateArray()).ToList();
            Assert.Equal(content.Select(c => c.GetProperty("token").GetString()), streamedContent.Select(c => c.GetProperty("token").GetString()));
        }
        Assert.Equal(JsonValueKind.Null, (await Json.ReadAsync(await client.PostAsync("/v1/chat/completions", Json.Body(new
        {
            messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 2,
        })))).GetProperty("choices")[0].GetProperty("logprobs").ValueKind);
    }

    [Theory]
    [InlineData("/v1/completions", """{"prompt":[1,2],"min_p":1.5}""", "min_p")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"presence_penalty":2.5}""", "presence_penalty")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"frequency_penalty":-3}""", "frequency_penalty")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"repetition_penalty":0}""", "repetition_penalty")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"logit_bias":{"abc":1}}""", "logit_bias")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"logit_bias":{"99999":1}}""", "logit_bias")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"logit_bias":{"5":101}}""", "logit_bias")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"n":17}""", "n")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"n":0}""", "n")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"n":2,"session_id":"s"}""", "n")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"best_of":3}""", "best_of")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"n":2,"best_of":3}""", "best_of")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"logprobs":6}""", "logprobs")]
    [InlineData("/v1/completions", """{"prompt":[1,2],"logprobs":-1}""", "logprobs")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"logprobs":true,"top_logprobs":21}""", "top_logprobs")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"top_logprobs":2}""", "top_logprobs")]
    public async Task AnOutOfRangeKnob_IsA400NamingItsField_AndHoldsNoBlock(string path, string body, string field)
    {
        await using var app = TestApp.CreateReal(new Dictionary<string, string?>());
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);

        var problem = await Json.ProblemAsync(await client.PostAsync(path, Json.Body(body)), 400);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors lacks '{field}': {problem.GetProperty("errors")}");
        Assert.Equal(0, (await Json.ReadAsync(await client.GetAsync("/v1/memory"))).GetProperty("blocks_used").GetInt32());
    }

    private static int[] Ids(JsonElement choice) => choice.GetProperty("token_ids").EnumerateArray().Select(i => i.GetInt32()).ToArray();
}
