using System.ClientModel;
using GqaService.Api.Tests.Support;
using OpenAI;
using OpenAI.Chat;

namespace GqaService.Api.Tests;

/// <summary>The official OpenAI .NET client reads logprobs and the sampling knobs from the real engine (built-in demo model) over Kestrel.</summary>
public sealed class OpenAiClientSamplingTests
{
    [Fact]
    public async Task OfficialClient_ReadsChatLogprobs_StreamedAndNot_AndSendsPenalties()
    {
        await using var app = TestApp.CreateReal(new Dictionary<string, string?>());
        var baseUrl = TestApp.StartKestrel(app);
        using (var http = new HttpClient { BaseAddress = new Uri(baseUrl) })
        {
            await RealModelTests.WaitUntilReadyAsync(http);
        }
        var chat = new OpenAIClient(new ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = new Uri(baseUrl + "/v1") }).GetChatClient("demo");
        var options = new ChatCompletionOptions
        {
            Temperature = 0.8f, MaxOutputTokenCount = 6, IncludeLogProbabilities = true, TopLogProbabilityCount = 3,
            PresencePenalty = 0.5f, FrequencyPenalty = 0.5f,
#pragma warning disable OPENAI001 // Seed is marked experimental in the 2.x client.
            Seed = 12,
#pragma warning restore OPENAI001
        };
        ChatMessage[] messages = [new UserChatMessage("Once upon a time")];

        ChatCompletion whole = await chat.CompleteChatAsync(messages, options);
        var streamed = new List<ChatTokenLogProbabilityDetails>();
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            streamed.AddRange(update.ContentTokenLogProbabilities);
        }

        Assert.Equal(6, whole.ContentTokenLogProbabilities.Count);
        Assert.All(whole.ContentTokenLogProbabilities, t => Assert.Equal(3, t.TopLogProbabilities.Count));
        Assert.All(whole.ContentTokenLogProbabilities, t => Assert.True(t.LogProbability <= 0));
        Assert.Equal(whole.Content[0].Text, string.Concat(whole.ContentTokenLogProbabilities.Select(t => System.Text.Encoding.UTF8.GetString(t.Utf8Bytes!.Value.Span))));
        Assert.Equal(whole.ContentTokenLogProbabilities.Select(t => t.Token), streamed.Select(t => t.Token));
    }
}
