using GqaService.Api.Tests.Support;
using GqaService.Inference.Engine;

namespace GqaService.Api.Tests;

/// <summary>A model's generation_config.json values fill in what a request leaves out; whatever the request names wins.</summary>
public sealed class GenerationDefaultsTests
{
    private static FakeInferenceEngine EngineWithDefaults() => new()
    {
        Model = new FakeInferenceEngine().Model with
        {
            GenerationDefaults = new GenerationDefaults { Temperature = 0.6f, TopP = 0.9f, TopK = 40, RepetitionPenalty = 1.1f, MaxNewTokens = 7 },
        },
    };

    [Fact]
    public async Task OmittedValuesComeFromTheModel()
    {
        var engine = EngineWithDefaults();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi" }));

        response.EnsureSuccessStatusCode();
        var sent = Assert.Single(engine.Submitted);
        Assert.Equal(0.6f, sent.Sampling.Temperature);
        Assert.Equal(0.9f, sent.Sampling.TopP);
        Assert.Equal(40, sent.Sampling.TopK);
        Assert.Equal(7, sent.MaxTokens);
    }

    [Fact]
    public async Task TheRequestWins()
    {
        var engine = EngineWithDefaults();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/chat/completions", Json.Body(new
        {
            messages = new[] { new { role = "user", content = "Hi" } }, temperature = 0, top_p = 1, top_k = 0, max_completion_tokens = 3,
        }));

        response.EnsureSuccessStatusCode();
        var sent = Assert.Single(engine.Submitted);
        Assert.Equal(0f, sent.Sampling.Temperature);
        Assert.Equal(1f, sent.Sampling.TopP);
        Assert.Equal(0, sent.Sampling.TopK);
        Assert.Equal(3, sent.MaxTokens);
    }

    [Fact]
    public async Task ModelsEndpointShowsTheDefaults()
    {
        var engine = EngineWithDefaults();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var body = await Json.ReadAsync(await client.GetAsync("/v1/models"));

        var defaults = body.GetProperty("data")[0].GetProperty("generation_defaults");
        Assert.Equal(0.6f, defaults.GetProperty("temperature").GetSingle());
        Assert.Equal(1.1f, defaults.GetProperty("repetition_penalty").GetSingle());
        Assert.Equal(7, defaults.GetProperty("max_new_tokens").GetInt32());
    }

    [Fact]
    public async Task WithoutAGenerationConfigTheServiceDefaultsApply()
    {
        var engine = new FakeInferenceEngine();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "Hi" }));

        response.EnsureSuccessStatusCode();
        var sent = Assert.Single(engine.Submitted);
        Assert.Equal(1f, sent.Sampling.Temperature);
        Assert.Equal(engine.Limits.DefaultMaxTokens, sent.MaxTokens);
    }
}
