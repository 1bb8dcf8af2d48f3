using System.Net;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

public sealed class ObservabilityTests
{
    [Fact]
    public async Task Metrics_IsPrometheusText_WithTheApiRequestSeries()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();
        await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", max_tokens = 3 }));
        await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", max_tokens = -1 }));

        var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE gqa_api_requests_total counter", text);
        var samples = PrometheusText.Parse(text);
        Assert.Contains(samples, s => s.Name == "gqa_api_requests_total" && s.Labels.Contains("outcome=\"ok\"") && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "gqa_api_requests_total" && s.Labels.Contains("outcome=\"invalid\"") && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "gqa_api_request_duration_seconds_count" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "gqa_api_time_to_first_token_seconds_count" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "gqa_api_inter_token_latency_seconds_count" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "gqa_api_completion_tokens_total" && s.Value >= 3);
    }

    [Fact]
    public async Task Ready_Is503UntilTheEngineIsReady()
    {
        var engine = new FakeInferenceEngine { IsReady = false };
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var before = await client.GetAsync("/health/ready");
        engine.IsReady = true;
        var after = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task EveryResponse_CarriesXServedBy()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), new Dictionary<string, string?> { ["Service:InstanceId"] = "node-7" });
        using var client = app.CreateClient();

        var response = await client.GetAsync("/health/live");

        Assert.Equal("node-7", response.Headers.GetValues("X-Served-By").Single());
    }

    [Fact]
    public async Task SwaggerJson_ListsEveryEndpointWithItsMethod()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        var document = await Json.ReadAsync(await client.GetAsync("/swagger/v1/swagger.json"));

        var paths = document.GetProperty("paths");
        (string Path, string Method)[] expected =
        [
            ("/v1/completions", "post"), ("/v1/chat/completions", "post"), ("/v1/models", "get"), ("/v1/sessions", "get"),
            ("/v1/sessions/{id}", "get"), ("/v1/sessions/{id}", "delete"), ("/v1/memory", "get"), ("/health/live", "get"),
            ("/health/ready", "get"), ("/metrics", "get"),
        ];
        foreach (var (path, method) in expected)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"swagger lacks {path}");
            Assert.True(item.TryGetProperty(method, out _), $"swagger lacks {method} {path}");
        }
        var chat = paths.GetProperty("/v1/chat/completions").GetProperty("post");
        Assert.True(chat.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/event-stream", out _));
        Assert.Contains("data: [DONE]", chat.GetProperty("description").GetString());
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("CompletionRequest").GetProperty("properties").TryGetProperty("max_tokens", out _));
    }

    [Fact]
    public async Task SwaggerUi_IsServed()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        var response = await client.GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
