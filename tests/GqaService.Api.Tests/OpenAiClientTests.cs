using System.ClientModel;
using System.Text;
using GqaService.Api.Tests.Support;
using OpenAI;
using OpenAI.Chat;

namespace GqaService.Api.Tests;

/// <summary>The official OpenAI .NET client against a real Kestrel port (fake engine). Legacy completions go through HttpClient: the 2.x library exposes no typed legacy-completion methods.</summary>
public sealed class OpenAiClientTests
{
    [Fact]
    public async Task OfficialClient_StreamsAChatCompletion_SameTextAsNonStreaming()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        var baseUrl = TestApp.StartKestrel(app);
        var chat = new OpenAIClient(new ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = new Uri(baseUrl + "/v1") }).GetChatClient("fake-gqa");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8 };
        ChatMessage[] messages = [new SystemChatMessage("Be brief."), new UserChatMessage("Hi")];

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        ChatCompletion whole = await chat.CompleteChatAsync(messages, options);

        Assert.Equal(" Hello w", streamed.ToString());
        Assert.Equal(whole.Content[0].Text, streamed.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.Equal(ChatFinishReason.Length, whole.FinishReason);
        Assert.Equal(8, whole.Usage.OutputTokenCount);
        Assert.Equal("fake-gqa", whole.Model);
        if (usage is not null)
        {
            Assert.Equal(8, usage.OutputTokenCount);
        }
    }

    [Fact]
    public async Task HttpClient_StreamsALegacyCompletion_OverKestrel()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        var baseUrl = TestApp.StartKestrel(app);
        using var client = new HttpClient();

        var response = await client.PostAsync(baseUrl + "/v1/completions", Json.Body(new { prompt = "Hi", max_tokens = 5, stream = true }));

        var chunks = ServerSentEvents.Payloads(await response.Content.ReadAsStringAsync());
        Assert.Equal(" Hell", string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
    }
}
