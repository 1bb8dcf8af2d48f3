using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>What a request ended by the engine's shutdown (<c>shutting_down</c>) gets, streamed or not.</summary>
public class ShutdownResponseTests
{
    [Fact]
    public async Task NonStreamedRequest_EndedByShutdownMidGeneration_Is503ProblemWithTheCode()
    {
        var engine = new FakeInferenceEngine { Script = "abcdef", FailAfterTokens = 3, FailureCode = "shutting_down" };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi" }));

        var problem = await Json.ProblemAsync(response, 503);
        Assert.Equal("shutting_down", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task StreamedRequest_EndedByShutdownMidGeneration_GetsTheErrorEventThenDone()
    {
        var engine = new FakeInferenceEngine { Script = "abcdef", FailAfterTokens = 3, FailureCode = "shutting_down" };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", stream = true }));

        var chunks = ServerSentEvents.Payloads(await response.Content.ReadAsStringAsync());
        Assert.Equal(4, chunks.Count); // a, b, c, error; Payloads asserted the single [DONE] after it
        Assert.Equal("shutting_down", chunks[^1].GetProperty("error").GetProperty("code").GetString());
    }
}
