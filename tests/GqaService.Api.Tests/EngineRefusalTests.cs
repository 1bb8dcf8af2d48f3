using GqaService.Api.Tests.Support;
using GqaService.Inference.Engine;

namespace GqaService.Api.Tests;

public sealed class EngineRefusalTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Overloaded_Is429WithRetryAfterRoundedUp(bool stream)
    {
        var engine = new FakeInferenceEngine { ThrowOnSubmit = new EngineOverloadedException("queue full (64 waiting)", TimeSpan.FromSeconds(1.2)) };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", stream }));

        var problem = await Json.ProblemAsync(response, 429);
        Assert.Equal("2", response.Headers.RetryAfter?.ToString());
        Assert.Equal("queue full (64 waiting)", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task SessionBusy_Is409()
    {
        var engine = new FakeInferenceEngine { ThrowOnSubmit = new SessionBusyException("s1") };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/chat/completions", Json.Body(new { messages = new[] { new { role = "user", content = "Hi" } }, session_id = "s1" }));

        var problem = await Json.ProblemAsync(response, 409);
        Assert.Equal("s1", problem.GetProperty("session_id").GetString());
    }
}
