using System.Net;
using GqaService.Api.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using GqaService.Api.Hosting;
using GqaService.Inference;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Tests;

/// <summary>
/// The shipped app on a generated checkpoint (no fakes, no ../shared): the API refuses, with 400 naming the fields, exactly the
/// boundary cases the engine's own test says the engine refuses, and everything it accepts the engine serves.
/// </summary>
public sealed class LimitsAgreementTests
{
    private static WebApplicationFactory<Program> CreateApp()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Inference:ModelPath"] = TinyCheckpoints.StoriesShaped,
            ["Inference:MaxContext"] = LimitCase.ContextCap.ToString(),
            ["Inference:MaxTokensLimit"] = LimitCase.MaxTokensLimit.ToString(),
            ["Inference:DefaultMaxTokens"] = "2",
            ["Inference:MaxSessionIdLength"] = LimitCase.MaxSessionIdLength.ToString(),
        };
        return TestApp.CreateReal(settings);
    }

    [Fact]
    public async Task AtEveryBoundary_TheApiRefusesWhatTheRulesRefuse_AndTheEngineServesWhatTheApiAccepts()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
        var cases = LimitCase.All(modelContext: 512, TinyCheckpoints.StoriesShapedVocabSize, wireValuesOnly: true, mixes: 40, seed: 92);

        for (var i = 0; i < cases.Count; i++)
        {
            var expected = cases[i].ExpectedErrorFields(TinyCheckpoints.StoriesShapedVocabSize);
            var response = await client.PostAsync("/v1/completions", Json.Body(cases[i].ToWire(i)));
            if (expected.Count == 0)
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"case {i} {cases[i]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                var usage = (await Json.ReadAsync(response)).GetProperty("usage");
                // Zero is right when the first token is the case's stop id.
                Assert.InRange(usage.GetProperty("completion_tokens").GetInt32(), 0, cases[i].MaxTokens);
                continue;
            }
            var errors = (await Json.ProblemAsync(response, 400)).GetProperty("errors");
            var fields = errors.EnumerateObject().Select(p => p.Name).ToList();
            Assert.True(expected.SetEquals(fields), $"case {i} {cases[i]}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", fields)}]");
        }
    }

    [Fact]
    public async Task MaxTokensOmitted_IsTheEnginesDefault()
    {
        await using var app = CreateApp();
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);

        var response = await client.PostAsync("/v1/completions", Json.Body(new { prompt = new[] { 1, 7 }, temperature = 0, ignore_eos = true }));

        Assert.Equal(2, (await Json.ReadAsync(response)).GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "Inference:DefaultMaxTokens", "10", "DefaultMaxTokens" }, // above Inference:MaxTokensLimit (6)
        { "Inference:MaxStopSequences", "-1", "MaxStopSequences" },
        { "Inference:MaxSessionIdLength", "0", "MaxSessionIdLength" },
        { "Api:MaxTokensLimit", "100", "MaxTokensLimit" }, // moved to Inference: refused, not silently ignored
        { "Api:DefaultMaxTokens", "100", "DefaultMaxTokens" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task BadOrMovedSetting_FailsTheStart_NamingIt(string key, string value, string named)
    {
        // The app's own registrations in a plain host: start runs the options validation (ValidateOnStart) before any
        // hosted service, so the failure is the validation's, not a side effect of a half-started web host.
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inference:ModelPath"] = TinyCheckpoints.StoriesShaped,
            ["Inference:MaxTokensLimit"] = LimitCase.MaxTokensLimit.ToString(),
            ["Inference:DefaultMaxTokens"] = "2",
            [key] = value,
        });
        builder.Services.AddInference(builder.Configuration);
        builder.Services.AddApi();
        using var host = builder.Build();

        var failure = await Record.ExceptionAsync(() => host.StartAsync());

        Assert.NotNull(failure);
        Assert.True(failure is OptionsValidationException or InvalidOperationException, failure.ToString());
        Assert.Contains(named, failure.Message);
    }
}
