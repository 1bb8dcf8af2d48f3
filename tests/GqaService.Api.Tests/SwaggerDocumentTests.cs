using System.Text.Json;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>The Swagger document teaches: examples that work, required fields, the SSE framing, real problems, honest padlocks.</summary>
public sealed class SwaggerDocumentTests
{
    [Fact]
    public async Task Completions_ShowsAWorkingExample_TheSseFraming_AndAProblemPerStatus()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();
        var document = await Json.ReadAsync(await client.GetAsync("/swagger/v1/swagger.json"));
        var operation = document.GetProperty("paths").GetProperty("/v1/completions").GetProperty("post");

        var body = operation.GetProperty("requestBody");
        Assert.True(body.GetProperty("required").GetBoolean());
        var example = body.GetProperty("content").GetProperty("application/json").GetProperty("example");
        Assert.False(example.TryGetProperty("session_id", out _));
        Assert.False(example.TryGetProperty("stop", out _));
        // The example as shown is a request the service answers with 200.
        var answer = await client.PostAsync("/v1/completions", new StringContent(example.GetRawText(), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);

        var stream = operation.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("text/event-stream").GetProperty("example").GetString()!;
        var events = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.All(events[..^1], e => JsonDocument.Parse(e["data: ".Length..]).Dispose());

        foreach (var response in operation.GetProperty("responses").EnumerateObject().Where(r => r.Name != "200"))
        {
            var problem = response.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("example");
            Assert.Equal(int.Parse(response.Name, System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("status").GetInt32());
            Assert.True(problem.TryGetProperty("trace_id", out _), $"{response.Name} example lacks trace_id");
        }
        Assert.True(operation.GetProperty("responses").TryGetProperty("400", out _));
    }

    [Fact]
    public async Task RequiredFields_AreMarked_AndOnlyKeyedEndpointsCarryTheBearerRequirement()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();
        var document = await Json.ReadAsync(await client.GetAsync("/swagger/v1/swagger.json"));
        var schemas = document.GetProperty("components").GetProperty("schemas");

        Assert.Contains("prompt", schemas.GetProperty("CompletionRequest").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("messages", schemas.GetProperty("ChatCompletionRequest").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.False(document.TryGetProperty("security", out _));
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var secured = operation.Value.TryGetProperty("security", out _);
                var keyed = path.Name.StartsWith("/v1/", StringComparison.Ordinal) || path.Name is "/tokenize" or "/detokenize";
                Assert.True(secured == keyed, $"{operation.Name} {path.Name}: security {secured}");
            }
        }
    }
}
