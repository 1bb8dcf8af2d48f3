using GqaService.Api.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GqaService.Api.Tests;

/// <summary>Automatic prefix caching as a client sees it, on the shipped app with a generated stories260K-shaped model:
/// cached tokens in usage and in the KV receipt, cached-free blocks in /v1/memory and /metrics, and the switch.</summary>
public sealed class PrefixCacheHttpTests
{
    private static readonly int[] Prompt = [1, .. Enumerable.Range(0, 44).Select(i => 3 + (i * 37 % 500))];

    private static WebApplicationFactory<Program> CreateApp(bool prefixCaching) => TestApp.CreateReal(new Dictionary<string, string?>
    {
        ["Inference:ModelPath"] = TinyCheckpoints.StoriesShaped,
        ["Inference:PrefixCaching"] = prefixCaching ? "true" : "false",
    });

    [Fact]
    public async Task RepeatedCompletion_ReportsCachedTokens_AndMemoryAndMetricsShowCachedFreeBlocks()
    {
        await using var app = CreateApp(prefixCaching: true);
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
        var body = new { prompt = Prompt, max_tokens = 10, temperature = 0, ignore_eos = true, return_token_ids = true };

        var first = await RealModelTests.CompleteAsync(client, body);
        var repeat = await RealModelTests.CompleteAsync(client, body);

        Assert.Equal(0, first.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        var usage = repeat.GetProperty("usage");
        Assert.Equal(32, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(32, usage.GetProperty("kv").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(RealModelTests.TokenIds(first), RealModelTests.TokenIds(repeat));
        var memory = await Json.ReadAsync(await client.GetAsync("/v1/memory"));
        Assert.True(memory.GetProperty("prefix_caching").GetBoolean());
        var (used, free, cached, total) = (memory.GetProperty("blocks_used").GetInt32(), memory.GetProperty("blocks_free").GetInt32(),
            memory.GetProperty("blocks_cached_free").GetInt32(), memory.GetProperty("blocks_total").GetInt32());
        Assert.Equal(0, used);
        Assert.True(cached >= 3, $"{cached} cached-free blocks");
        Assert.Equal(total, used + free + cached);
        // Only that the series is exported: engines of other tests running in this process report under the same meter
        // name, so its value here need not be this app's (EngineMetricsTests checks the value).
        var samples = PrometheusText.Parse(await client.GetStringAsync("/metrics"));
        Assert.Contains(samples, s => s.Name.StartsWith("gqa_engine_kv_blocks_cached_free", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithPrefixCachingOff_ARepeatIsComputedAgain_AndNoBlockStaysCached()
    {
        await using var app = CreateApp(prefixCaching: false);
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);
        var body = new { prompt = Prompt, max_tokens = 10, temperature = 0, ignore_eos = true };

        await RealModelTests.CompleteAsync(client, body);
        var repeat = await RealModelTests.CompleteAsync(client, body);

        Assert.Equal(0, repeat.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        var memory = await Json.ReadAsync(await client.GetAsync("/v1/memory"));
        Assert.False(memory.GetProperty("prefix_caching").GetBoolean());
        Assert.Equal(0, memory.GetProperty("blocks_cached_free").GetInt32());
        Assert.Equal(memory.GetProperty("blocks_total").GetInt32(), memory.GetProperty("blocks_free").GetInt32());
    }
}
