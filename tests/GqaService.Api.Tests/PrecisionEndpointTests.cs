using GqaService.Api.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GqaService.Api.Tests;

/// <summary>
/// <c>Inference:KvDtype</c> reaches /v1/memory (the dtype by name, bytes and blocks priced in it) and
/// <c>Inference:WeightDtype</c> reaches /v1/models (<c>compute_precision</c>).
/// </summary>
[Trait("Category", "RealModel")]
public sealed class PrecisionEndpointTests
{
    [RealModelFact]
    public async Task Bf16Cache_MemoryReportsItsDtypeAndHalfTheBytesPerToken()
    {
        await using var app = CreateApp("bf16");
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);

        var memory = await Json.ReadAsync(await client.GetAsync("/v1/memory"));

        Assert.Equal("bfloat16", memory.GetProperty("kv_dtype").GetString());
        // stories260K: 2 x 5 layers x 4 KV heads x 8 x 2 bytes = 640 a token (1280 in float32); MHA doubles the heads.
        Assert.Equal(640, memory.GetProperty("kv_bytes_per_token").GetInt64());
        Assert.Equal(1280, memory.GetProperty("mha_kv_bytes_per_token").GetInt64());
        // 8 MiB / (640 x 16) = 819.2: 819 blocks, twice the float32 pool's 409.
        Assert.Equal(819, memory.GetProperty("blocks_total").GetInt32());
        Assert.Equal(819L * 640 * 16, memory.GetProperty("bytes_total").GetInt64());

        var completion = await Json.ReadAsync(await client.PostAsync("/v1/completions",
            Json.Body(new { prompt = "Once upon a time", max_tokens = 20, temperature = 0 })));
        Assert.False(string.IsNullOrWhiteSpace(completion.GetProperty("choices")[0].GetProperty("text").GetString()));
    }

    [RealModelFact]
    public async Task Float32CacheAndWeights_AreTheDefault()
    {
        await using var app = CreateApp(kvDtype: null);
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);

        var memory = await Json.ReadAsync(await client.GetAsync("/v1/memory"));
        var model = (await Json.ReadAsync(await client.GetAsync("/v1/models"))).GetProperty("data")[0];

        Assert.Equal("float32", memory.GetProperty("kv_dtype").GetString());
        Assert.Equal(1280, memory.GetProperty("kv_bytes_per_token").GetInt64());
        Assert.Equal(409, memory.GetProperty("blocks_total").GetInt32());
        Assert.Equal("float32", model.GetProperty("compute_precision").GetString());
    }

    [RealModelFact]
    public async Task Bf16Weights_AreNamedInModels()
    {
        await using var app = CreateApp(kvDtype: null, weightDtype: "bf16");
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);

        var model = (await Json.ReadAsync(await client.GetAsync("/v1/models"))).GetProperty("data")[0];

        Assert.Equal("bfloat16", model.GetProperty("compute_precision").GetString());
        Assert.Equal("F32", model.GetProperty("weight_precision").GetString());
    }

    private static WebApplicationFactory<Program> CreateApp(string? kvDtype, string? weightDtype = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Inference:ModelPath"] = SharedModels.Stories260KBin,
            ["Inference:TokenizerPath"] = SharedModels.Stories260KTokenizer,
            ["Inference:KvCacheMiB"] = "8",
        };
        if (kvDtype is not null)
        {
            settings["Inference:KvDtype"] = kvDtype;
        }
        if (weightDtype is not null)
        {
            settings["Inference:WeightDtype"] = weightDtype;
        }
        return TestApp.CreateReal(settings);
    }
}
