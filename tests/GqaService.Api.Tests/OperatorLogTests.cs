using System.Net;
using GqaService.Api.Observability;
using GqaService.Api.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GqaService.Api.Tests;

/// <summary>What an operator reads in the log: the start-up block and one line per refused request.</summary>
public sealed class OperatorLogTests
{
    [Fact]
    public async Task ClientError_WritesOneInformationLine_WithTheProblemTypeAndRequestId_AndNoPromptText()
    {
        var recorder = new RecordingLogger<ClientErrorLogMiddleware>();
        await using var app = WithLogger(TestApp.Create(new FakeInferenceEngine()), recorder);
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = "my very private prompt", max_tokens = -1 }));
        var problem = await Json.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await recorder.FirstEntry.WaitAsync(TimeSpan.FromSeconds(60));
        var entry = Assert.Single(recorder.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal("POST", entry.Properties["Method"]);
        Assert.Equal("/v1/completions", entry.Properties["Path"]);
        Assert.Equal(400, entry.Properties["StatusCode"]);
        Assert.Equal(problem.GetProperty("type").GetString(), entry.Properties["ProblemType"]);
        Assert.Equal(problem.GetProperty("trace_id").GetString(), entry.Properties["RequestId"]);
        Assert.DoesNotContain("private", entry.Message);
    }

    [Fact]
    public async Task UnknownSession_404_IsLoggedWithItsType_AndSuccessIsNot()
    {
        var recorder = new RecordingLogger<ClientErrorLogMiddleware>();
        await using var app = WithLogger(TestApp.Create(new FakeInferenceEngine()), recorder);
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var response = await client.GetAsync("/v1/sessions/nobody");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await recorder.FirstEntry.WaitAsync(TimeSpan.FromSeconds(60));
        var entry = Assert.Single(recorder.Entries);
        Assert.Equal(404, entry.Properties["StatusCode"]);
        Assert.Equal((await Json.ReadAsync(response)).GetProperty("type").GetString(), entry.Properties["ProblemType"]);
    }

    [Fact]
    public async Task StartupSummary_IsOneBlockNamingTheModelPoolAndSecurity_WithoutTheKeys()
    {
        const string key = "sk-never-logged-4711";
        // The engine owns the served context (its limits apply Inference:MaxContext); the summary reports what it says.
        var engine = new FakeInferenceEngine { Options = { MaxContext = 48 } };
        var recorder = new RecordingLogger<StartupSummaryService>();
        await using var app = WithLogger(TestApp.Create(engine, new Dictionary<string, string?>
        {
            ["Api:ApiKeys:0"] = key,
            ["Api:RateLimit:PermitsPerMinute"] = "60",
        }), recorder);
        using var client = app.CreateClient();

        // The summary is written from an ApplicationStarted callback, which can run after the test host hands out its client.
        await recorder.FirstEntry.WaitAsync(TimeSpan.FromSeconds(60));
        var entry = Assert.Single(recorder.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.DoesNotContain(key, entry.Message);
        Assert.Equal("fake-gqa", entry.Properties["ModelId"]);
        Assert.Equal("on", entry.Properties["ApiKeys"]);
        Assert.Equal("60/min per key or IP", entry.Properties["RateLimit"]);
        Assert.Equal(48, entry.Properties["Context"]);
        Assert.Equal(FakeInferenceEngine.MaxContext, entry.Properties["ModelContext"]);
        Assert.Equal(engine.Memory.BlocksTotal, entry.Properties["KvBlocks"]);
        Assert.Equal((long)engine.Memory.BlocksTotal * engine.Memory.BlockSize, entry.Properties["KvTokens"]);
        Assert.Equal(engine.Memory.BytesTotal, entry.Properties["KvBytes"]);
        Assert.Equal(new[] { engine.Model.Config.EosTokenId }, (IReadOnlyList<int>)entry.Properties["EosTokenIds"]!);
        Assert.Equal("plain", entry.Properties["ChatTemplateSource"]);
        Assert.Equal("the model's files", entry.Properties["ContextSource"]);
        Assert.Equal("none", entry.Properties["Notes"]);
        foreach (var heading in new[] { "model", "family", "tokenizer", "context", "KV pool", "threads", "API keys", "listening", "notes" })
        {
            Assert.Contains($"\n  {heading} ", entry.Message);
        }
    }

    private static WebApplicationFactory<Program> WithLogger<T>(WebApplicationFactory<Program> app, RecordingLogger<T> recorder) =>
        app.WithWebHostBuilder(web => web.ConfigureTestServices(services => services.AddSingleton<ILogger<T>>(recorder)));
}
