using System.Net;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

public sealed class CompletionEndpointTests
{
    [Fact]
    public async Task Completion_TextPrompt_ReturnsOpenAiShapeWithUsageAndKvReceipt()
    {
        var engine = new FakeInferenceEngine { CachedPromptTokens = 3 };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { model = "anything", prompt = "Hi", max_tokens = 5, temperature = 0 }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.StartsWith("cmpl-", body.GetProperty("id").GetString());
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        Assert.Equal("fake-gqa", body.GetProperty("model").GetString());
        Assert.True(body.GetProperty("created").GetInt64() > 1_700_000_000);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(" Hell", choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.False(choice.TryGetProperty("token_ids", out _));
        var usage = body.GetProperty("usage");
        Assert.Equal(3, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(5, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(8, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(3, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        var kv = usage.GetProperty("kv");
        Assert.Equal(1, kv.GetProperty("blocks_allocated").GetInt32());
        Assert.Equal(1024, kv.GetProperty("peak_kv_bytes").GetInt64());
        Assert.Equal(0, kv.GetProperty("preemptions").GetInt32());
        Assert.Equal(0, kv.GetProperty("recomputed_tokens").GetInt32());
    }

    [Fact]
    public async Task Completion_TextPrompt_IsEncodedWithBos()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", max_tokens = 1 }));

        Assert.Equal([1, 'H', 'i'], Assert.Single(engine.Submitted).PromptTokenIds);
    }

    [Fact]
    public async Task Completion_TokenIdPrompt_IsPassedExactlyWithSamplingAndExtensions()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new
        {
            prompt = new[] { 5, 6, 7 }, max_tokens = 3, temperature = 0.5, top_p = 0.9, top_k = 7, seed = 42, stop = "xyz",
            ignore_eos = true, return_token_ids = true, session_id = "s1",
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(engine.Submitted);
        Assert.Equal([5, 6, 7], sent.PromptTokenIds);
        Assert.Equal(3, sent.MaxTokens);
        Assert.Equal(0.5f, sent.Sampling.Temperature);
        Assert.Equal(0.9f, sent.Sampling.TopP);
        Assert.Equal(7, sent.Sampling.TopK);
        Assert.Equal(42UL, sent.Sampling.Seed);
        Assert.Equal(["xyz"], sent.StopSequences);
        Assert.True(sent.IgnoreEos);
        Assert.Equal("s1", sent.SessionId);
        Assert.Null(sent.Deadline); // the engine owns deadlines
        var ids = (await Json.ReadAsync(response)).GetProperty("choices")[0].GetProperty("token_ids");
        Assert.Equal([' ', 'H', 'e'], ids.EnumerateArray().Select(i => i.GetInt32()));
    }

    [Fact]
    public async Task Completion_SessionHeader_IsUsedAsSessionId()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Json.Body(new { prompt = "Hi", max_tokens = 1 }) };
        request.Headers.Add("X-Session-Id", "from-header");

        await client.SendAsync(request);

        Assert.Equal("from-header", Assert.Single(engine.Submitted).SessionId);
    }

    [Fact]
    public async Task Completion_ScriptEndsBeforeMaxTokens_FinishReasonIsStop()
    {
        var engine = new FakeInferenceEngine { Script = "ab" };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var body = await Json.ReadAsync(await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", max_tokens = 10 })));

        Assert.Equal("stop", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task ChatCompletion_RendersPlainTemplate_AndReturnsAssistantMessage()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/chat/completions", Json.Body(new
        {
            model = "fake",
            messages = new object[]
            {
                new { role = "system", content = "Be brief." },
                new { role = "user", content = new[] { new { type = "text", text = "Hi" } } },
            },
            max_completion_tokens = 4, return_token_ids = true,
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString());
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(" Hel", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(4, choice.GetProperty("token_ids").GetArrayLength());
        var prompt = new FakeTokenizer().Decode(Assert.Single(engine.Submitted).PromptTokenIds);
        Assert.Equal("System: Be brief.\nUser: Hi\nAssistant:", prompt);
        Assert.Equal(1, engine.Submitted.Single().PromptTokenIds[0]);
    }

    [Fact]
    public async Task Models_ListsTheServedModel()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        var body = await Json.ReadAsync(await client.GetAsync("/v1/models"));

        Assert.Equal("list", body.GetProperty("object").GetString());
        var model = Assert.Single(body.GetProperty("data").EnumerateArray());
        Assert.Equal("fake-gqa", model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal(2, model.GetProperty("num_kv_heads").GetInt32());
    }

    [Fact]
    public async Task Models_ShowsFamilyTokenizerTemplateSourceEosIdsAndPrecision()
    {
        var engine = new FakeInferenceEngine();
        engine.Model = engine.Model with
        {
            Family = "qwen2", TokenizerKind = "bpe", EosTokenIds = [151645, 151643], ChatTemplate = GqaService.Inference.Templating.ChatTemplate.Parse("{{ messages }}"),
            ChatTemplateOrigin = "tokenizer_config.json", WeightPrecision = "BF16", Notes = ["context capped"],
        };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var model = Assert.Single((await Json.ReadAsync(await client.GetAsync("/v1/models"))).GetProperty("data").EnumerateArray());

        Assert.Equal("qwen2", model.GetProperty("family").GetString());
        Assert.Equal("bpe", model.GetProperty("tokenizer_kind").GetString());
        Assert.Equal([151645, 151643], model.GetProperty("eos_token_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("tokenizer_config.json", model.GetProperty("chat_template_source").GetString());
        Assert.Equal("BF16", model.GetProperty("weight_precision").GetString());
        Assert.Equal("float32", model.GetProperty("compute_precision").GetString());
        Assert.Equal(FakeInferenceEngine.MaxContext, model.GetProperty("max_context").GetInt32());
        Assert.Equal("context capped", Assert.Single(model.GetProperty("notes").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Memory_IsTheSnapshotInSnakeCase()
    {
        var engine = new FakeInferenceEngine();
        engine.Sessions["s1"] = new("s1", 20, 2, 2048, DateTimeOffset.UtcNow, false);
        engine.Memory = engine.Memory with { BlocksUsed = 2, BlocksFree = 62, FragmentedSlots = 12, GqaSavedBytes = 4096, KvBytesPerToken = 64, MhaKvBytesPerToken = 128 };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var body = await Json.ReadAsync(await client.GetAsync("/v1/memory"));

        Assert.Equal(2, body.GetProperty("blocks_used").GetInt32());
        Assert.Equal(62, body.GetProperty("blocks_free").GetInt32());
        Assert.Equal(12.0 / 32, body.GetProperty("fragmentation_ratio").GetDouble());
        Assert.Equal(4096, body.GetProperty("gqa_saved_bytes").GetInt64());
        Assert.Equal(128, body.GetProperty("mha_kv_bytes_per_token").GetInt64());
        Assert.Equal("s1", body.GetProperty("sessions")[0].GetProperty("id").GetString());
        Assert.True(body.TryGetProperty("process_working_set_bytes", out _));
    }
}
