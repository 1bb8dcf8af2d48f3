using System.Net;
using System.Text.Json;
using GqaService.Api.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GqaService.Api.Tests;

/// <summary>POST /v1/perplexity and the <c>perplexity</c> verb on the shipped app, with the K/V heads regrouped at load.</summary>
public sealed class PerplexityEndpointTests
{
    private static WebApplicationFactory<Program> CreateApp(int kvHeads) => TestApp.CreateReal(new Dictionary<string, string?>
    {
        ["Inference:ModelPath"] = TinyCheckpoints.StoriesShaped,
        ["Inference:KvHeads"] = kvHeads.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    [Fact]
    public async Task RegroupedModel_PerplexityModelsAndMemoryAllReportThePooledHeads()
    {
        await using var app = CreateApp(kvHeads: 2);
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
        var ids = RandomIds(new Random(3), 700);

        var response = await client.PostAsync("/v1/perplexity", Json.Body(new { input = ids, stride = 200 }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.Equal(699, body.GetProperty("tokens").GetInt32());
        Assert.Equal(Math.Exp(body.GetProperty("mean_nll").GetDouble()), body.GetProperty("perplexity").GetDouble(), 1e-9);
        // 2 x 5 layers x 2 heads x 8 dims x 4 bytes: half of the checkpoint's 1280.
        Assert.Equal(640, body.GetProperty("kv_bytes_per_token").GetInt64());
        Assert.Equal(2, body.GetProperty("num_kv_heads").GetInt32());
        Assert.Equal(4, body.GetProperty("regrouped_from_kv_heads").GetInt32());
        Assert.Equal(511, body.GetProperty("window").GetInt32());
        Assert.Equal(2, body.GetProperty("windows").GetInt32());
        var model = (await Json.ReadAsync(await client.GetAsync("/v1/models"))).GetProperty("data")[0];
        Assert.Equal(2, model.GetProperty("num_kv_heads").GetInt32());
        Assert.Equal(4, model.GetProperty("regrouped_from_kv_heads").GetInt32());
        var memory = await Json.ReadAsync(await client.GetAsync("/v1/memory"));
        Assert.Equal(640, memory.GetProperty("kv_bytes_per_token").GetInt64());
        Assert.Equal(0, memory.GetProperty("blocks_used").GetInt32());
    }

    [Fact]
    public async Task BadPerplexityRequests_Get400NamingTheField_AndHoldNoBlocks()
    {
        await using var app = CreateApp(kvHeads: 4);
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
        (string Json, string Field)[] bad =
        [
            ("{}", "input"),
            ("""{"input":[1]}""", "input"),
            ("""{"input":[1,512]}""", "input"),
            ("""{"input":"no tokenizer here"}""", "input"),
            ("""{"input":[1,2,3],"stride":0}""", "stride"),
            ("""{"input":[1,2,3],"stride":512}""", "stride"),
        ];

        foreach (var (json, field) in bad)
        {
            var response = await client.PostAsync("/v1/perplexity", Json.Body(json));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await Json.ReadAsync(response);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{json}: {problem}");
            var memory = await Json.ReadAsync(await client.GetAsync("/v1/memory"));
            Assert.Equal(0, memory.GetProperty("blocks_used").GetInt32());
        }
        var model = (await Json.ReadAsync(await client.GetAsync("/v1/models"))).GetProperty("data")[0];
        Assert.Equal(JsonValueKind.Null, model.TryGetProperty("regrouped_from_kv_heads", out var from) ? from.ValueKind : JsonValueKind.Null);
    }

    [Fact]
    public async Task PerplexityVerb_EqualsTheEndpointOnTheSameIds()
    {
        var ids = RandomIds(new Random(8), 300);
        await using var app = CreateApp(kvHeads: 1);
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
        var served = await Json.ReadAsync(await client.PostAsync("/v1/perplexity", Json.Body(new { input = ids })));

        var (exitCode, stdout, stderr) = await ServiceProcess.RunAsync(Environment.CurrentDirectory,
            ["perplexity", "--model", TinyCheckpoints.StoriesShaped, "--token-ids", string.Join(',', ids), "--kv-heads", "1"]);

        Assert.True(exitCode == 0, stderr);
        using var printed = JsonDocument.Parse(stdout);
        Assert.Equal(served.GetProperty("tokens").GetInt32(), printed.RootElement.GetProperty("tokens").GetInt32());
        Assert.Equal(320, printed.RootElement.GetProperty("kv_bytes_per_token").GetInt64());
        // Same windows, same decoder; only the batch shapes may differ, so agreement to float32 rounding.
        Assert.Equal(served.GetProperty("mean_nll").GetDouble(), printed.RootElement.GetProperty("mean_nll").GetDouble(), 1e-4);
    }

    [Fact]
    public async Task GqaTable_IsTheRecordedDocsTable()
    {
        await using var app = CreateApp(kvHeads: 4);
        using var client = app.CreateClient();

        var response = await client.GetAsync("/v1/perplexity/gqa-table");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = await Json.ReadAsync(response);
        using var recorded = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "gqa-table.json")));
        Assert.Equal(recorded.RootElement.GetRawText(), served.GetRawText());
        Assert.Contains(served.GetProperty("rows").EnumerateArray(), row => row.GetProperty("kv_heads").GetInt32() == 1
            && row.GetProperty("regrouped_from_kv_heads").GetInt32() == 4);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "GqaService.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("GqaService.sln not found above the test binaries.");
    }

    private static int[] RandomIds(Random random, int count) => [1, .. Enumerable.Range(1, count - 1).Select(_ => random.Next(3, 512))];
}
