using System.ClientModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using GqaService.Api.Tests.Support;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace GqaService.Api.Tests;

/// <summary>
/// The official OpenAI clients, as a new user would run them, against a real Kestrel port (fake engine, API keys on): the
/// service's error messages, params and codes reach the SDKs' exceptions; models.retrieve; completions and chat, streamed and
/// not. Node: the npm <c>openai</c> package (tests/reference/openai-sdk-check.mjs); .NET: NuGet <c>OpenAI</c>.
/// </summary>
public sealed class OfficialSdkTests
{
    private const string Key = "sdk-key";
    private static readonly Dictionary<string, string?> WithKey = new() { ["Api:ApiKeys:0"] = Key };

    [NodeOpenAiSdkFact]
    public async Task NodeSdk_HappyPathsAndErrors_AsTheSdkReportsThem()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), WithKey);
        var baseUrl = TestApp.StartKestrel(app);

        var seen = await RunNodeSdkAsync(baseUrl + "/v1", Key);

        Assert.Equal("fake-gqa", seen.GetProperty("retrieved").GetString());
        AssertFailure(seen.GetProperty("retrieveUnknown"), "NotFoundError", 404, "model", "model_not_found", "no-such-model");
        Assert.Equal(" Hell", seen.GetProperty("completionText").GetString());
        Assert.Equal("length", seen.GetProperty("completionFinish").GetString());
        Assert.Equal(" Hell", seen.GetProperty("completionStreamed").GetString());
        Assert.Equal(" Hello", seen.GetProperty("chatText").GetString());
        Assert.Equal(6, seen.GetProperty("chatUsage").GetInt32());
        Assert.Equal(" Hello", seen.GetProperty("chatStreamed").GetString());
        AssertFailure(seen.GetProperty("badMaxTokens"), "BadRequestError", 400, "max_tokens", "invalid_value", "must lie in 1..");
        AssertFailure(seen.GetProperty("stringNumber"), "BadRequestError", 400, "max_tokens", "invalid_type", "must be an integer");
        AssertFailure(seen.GetProperty("nullMessage"), "BadRequestError", 400, "messages[1]", "invalid_type", "not null");
        AssertFailure(seen.GetProperty("tools"), "BadRequestError", 400, "tools", "unsupported_parameter", "tool calling");
        AssertFailure(seen.GetProperty("badSession"), "BadRequestError", 400, "session_id", "invalid_value", "[A-Za-z0-9._:-]");
        AssertFailure(seen.GetProperty("wrongKey"), "AuthenticationError", 401, null, "invalid_api_key", "valid API key");
    }

    [NodeOpenAiSdkFact]
    public async Task NodeSdk_AFailureMidStream_ReachesTheSdkAsAnApiErrorWithTheEnginesMessage()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine { FailAfterTokens = 3, FailureCode = "engine_failed" }, WithKey);
        var baseUrl = TestApp.StartKestrel(app);

        var seen = await RunNodeSdkAsync(baseUrl + "/v1", Key, "stream-failure");

        Assert.Equal(" He", seen.GetProperty("receivedBeforeFailure").GetString());
        var failure = seen.GetProperty("streamFailure");
        Assert.True(failure.GetProperty("thrown").GetBoolean());
        Assert.Equal("APIError", failure.GetProperty("name").GetString());
        Assert.Equal("engine_failed", failure.GetProperty("code").GetString());
        Assert.Equal("server_error", failure.GetProperty("type").GetString());
        Assert.Contains("The fake engine was told to fail.", failure.GetProperty("message").GetString());
    }

    [Fact]
    public async Task DotNetClient_ErrorReachesClientResultException_WithStatusMessageAndParam()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), WithKey);
        var chat = Client(TestApp.StartKestrel(app)).GetChatClient("fake-gqa");

        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            chat.CompleteChatAsync([new UserChatMessage("Hi")], new ChatCompletionOptions { Temperature = 3f }));

        Assert.Equal(400, error.Status);
        Assert.Contains("temperature: must lie in [0, 2] (got 3).", error.Message);
        using var body = JsonDocument.Parse(error.GetRawResponse()!.Content.ToString());
        var openAi = body.RootElement.GetProperty("error");
        Assert.Equal("temperature", openAi.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", openAi.GetProperty("type").GetString());
        Assert.Equal("invalid_value", openAi.GetProperty("code").GetString());
    }

    [Fact]
    public async Task DotNetClient_ModelsRetrieve_KnownAndUnknown()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), WithKey);
        var models = Client(TestApp.StartKestrel(app)).GetOpenAIModelClient();

        OpenAIModel model = await models.GetModelAsync("fake-gqa");
        var unknown = await Assert.ThrowsAsync<ClientResultException>(() => models.GetModelAsync("gpt-nothing"));

        Assert.Equal("fake-gqa", model.Id);
        Assert.Equal(404, unknown.Status);
        Assert.Contains("'gpt-nothing' does not exist", unknown.Message);
    }

    [Fact]
    public async Task DotNetClient_ChatStreamedAndNot_SameText()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), WithKey);
        var chat = Client(TestApp.StartKestrel(app)).GetChatClient("fake-gqa");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 7 };

        var streamed = new StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Hi")], options))
        {
            streamed.Append(string.Concat(update.ContentUpdate.Select(part => part.Text)));
        }
        ChatCompletion whole = await chat.CompleteChatAsync([new UserChatMessage("Hi")], options);

        Assert.Equal(" Hello ", whole.Content[0].Text);
        Assert.Equal(whole.Content[0].Text, streamed.ToString());
    }

    [Fact]
    public async Task DotNetClient_WrongKey_Is401WithTheServicesMessage()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), WithKey);
        var baseUrl = TestApp.StartKestrel(app);
        var models = new OpenAIClient(new ApiKeyCredential("invented"), new OpenAIClientOptions { Endpoint = new Uri(baseUrl + "/v1") }).GetOpenAIModelClient();

        var error = await Assert.ThrowsAsync<ClientResultException>(() => models.GetModelsAsync());

        Assert.Equal(401, error.Status);
        Assert.Contains("send 'Authorization: Bearer <key>'", error.Message);
    }

    private static OpenAIClient Client(string baseUrl) =>
        new(new ApiKeyCredential(Key), new OpenAIClientOptions { Endpoint = new Uri(baseUrl + "/v1") });

    private static void AssertFailure(JsonElement failure, string name, int status, string? param, string code, string messagePart)
    {
        Assert.True(failure.GetProperty("thrown").GetBoolean(), $"no exception: {failure}");
        Assert.Equal(name, failure.GetProperty("name").GetString());
        Assert.Equal(status, failure.GetProperty("status").GetInt32());
        Assert.Equal(param, failure.GetProperty("param").GetString());
        Assert.Equal(code, failure.GetProperty("code").GetString());
        Assert.StartsWith($"{status} ", failure.GetProperty("message").GetString());
        Assert.Contains(messagePart, failure.GetProperty("message").GetString());
    }

    [NodeOpenAiSdkFact]
    public async Task NodeSdk_NChoices_StreamedAndNot_EqualSingleRunsWithTheirSeeds_AndLogprobsArrive()
    {
        // The built-in demo model and the real engine: choice i of n samples with seed + i.
        await using var app = TestApp.CreateReal(new Dictionary<string, string?>());
        var baseUrl = TestApp.StartKestrel(app);
        using (var http = new HttpClient { BaseAddress = new Uri(baseUrl) })
        {
            await RealModelTests.WaitUntilReadyAsync(http);
        }

        var seen = await RunNodeSdkAsync(baseUrl + "/v1", "no-key", "sampling");

        var choices = seen.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal(3, choices.Count);
        var texts = choices.Select(c => c.GetProperty("text").GetString()).ToList();
        Assert.Equal(texts, seen.GetProperty("streamed").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(texts, seen.GetProperty("alone").EnumerateArray().Select(t => t.GetString()));
        Assert.True(texts.Distinct().Count() > 1, $"three seeds gave one text: {texts[0]}");
        Assert.All(choices, c => Assert.Equal(8, c.GetProperty("tokens").GetInt32()));
        Assert.All(choices, c => Assert.All(c.GetProperty("tops").EnumerateArray(), n => Assert.Equal(2, n.GetInt32())));
        Assert.All(choices, c => Assert.All(c.GetProperty("logprobs").EnumerateArray(), l => Assert.True(l.GetDouble() <= 0)));
        // The prompt is computed once for the three choices, and counted once.
        var usage = seen.GetProperty("usage");
        Assert.Equal(24, usage.GetProperty("completion_tokens").GetInt32());
        var chatLogprobs = seen.GetProperty("chatLogprobs").EnumerateArray().ToList();
        Assert.Equal(5, chatLogprobs.Count);
        Assert.All(chatLogprobs, t => Assert.Equal(3, t.GetProperty("tops").GetInt32()));
        Assert.Equal(seen.GetProperty("chatText").GetString(),
            string.Concat(chatLogprobs.Select(t => System.Text.Encoding.UTF8.GetString(t.GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray()))));
    }

    private static async Task<JsonElement> RunNodeSdkAsync(params string[] arguments)
    {
        var script = Path.Combine(ServiceProcess.RepositoryRoot, "tests", "reference", "openai-sdk-check.mjs");
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(node.ExitCode == 0, $"the SDK run failed: {await stderr}");
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }
}
