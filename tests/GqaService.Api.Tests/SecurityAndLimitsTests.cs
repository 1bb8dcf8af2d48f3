using System.Net;
using System.Net.Http.Headers;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

public sealed class SecurityAndLimitsTests
{
    private static readonly Dictionary<string, string?> WithKeys = new() { ["Api:ApiKeys:0"] = "k-one", ["Api:ApiKeys:1"] = "k-two" };

    [Fact]
    public async Task KeysOff_EverythingIsOpen()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models")).StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task KeysOn_MissingOrWrongKey_Is401Problem(string? key)
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), WithKeys);
        using var client = app.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        var models = await client.GetAsync("/v1/models");
        var completion = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi" }));

        await Json.ProblemAsync(models, 401);
        await Json.ProblemAsync(completion, 401);
        Assert.Equal("Bearer", models.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task KeysOn_AnyConfiguredKeyWorks()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), WithKeys);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k-two");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi", max_tokens = 1 }))).StatusCode);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/metrics")]
    public async Task KeysOn_HealthAndMetricsStayOpen(string path)
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), WithKeys);
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task BodyOverTheLimit_Is413Problem()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine, new Dictionary<string, string?> { ["Api:MaxRequestBodyBytes"] = "2048" });
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = new string('a', 4096) }));

        await Json.ProblemAsync(response, 413);
        Assert.Empty(engine.Submitted);
    }

    [Fact]
    public async Task DefaultLimit_AcceptsOrdinaryBodies_Refuses2MiB()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = new string('a', 2 * 1024 * 1024) }));

        await Json.ProblemAsync(response, 413);
    }

    [Fact]
    public async Task RateLimit_PerKey_Is429ProblemWithRetryAfter()
    {
        var settings = new Dictionary<string, string?>(WithKeys) { ["Api:RateLimit:PermitsPerMinute"] = "2" };
        await using var app = TestApp.Create(new FakeInferenceEngine(), settings);
        using var one = app.CreateClient();
        using var two = app.CreateClient();
        one.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k-one");
        two.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k-two");

        Assert.Equal(HttpStatusCode.OK, (await one.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await one.GetAsync("/v1/models")).StatusCode);
        var third = await one.GetAsync("/v1/models");
        var otherKey = await two.GetAsync("/v1/models");

        await Json.ProblemAsync(third, 429);
        Assert.NotNull(third.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await one.GetAsync("/health/live")).StatusCode);
    }
}
