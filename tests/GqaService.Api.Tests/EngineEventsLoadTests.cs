using System.Net.Http.Json;
using System.Text.Json;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>
/// /v1/events under 16 concurrent streams on a pool small enough to preempt (the default model, 2 MiB: 64 blocks): every
/// block allocated is released exactly once, and what the reader counted agrees with the engine's counters in /metrics.
/// </summary>
[Collection(ProcessWideMetricsCollection.Name)]
public sealed class EngineEventsLoadTests
{
    private static readonly string[] CountedKinds =
        ["queued", "admitted", "finished", "blocks_allocated", "blocks_freed", "session_created", "session_deleted",
        "session_evicted", "preempted", "prefix_reused"];

    [Fact]
    public async Task SixteenStreams_EveryAllocationIsReleased_AndTheEventCountsAgreeWithMetrics()
    {
        await using var app = TestApp.CreateReal(new Dictionary<string, string?> { ["Inference:KvCacheMiB"] = "2" });
        var address = new Uri(TestApp.StartKestrel(app));
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        await RealModelTests.WaitUntilReadyAsync(client);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        using var events = await client.GetAsync("/v1/events?buffer=65536", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync(timeout.Token));

        var requests = Enumerable.Range(0, 16).Select(async i =>
        {
            using var response = await client.PostAsJsonAsync("/v1/completions", new
            {
                prompt = new[] { 1, 10 + i },
                max_tokens = 60 + 5 * i,
                temperature = 0,
                ignore_eos = true,
                stream = true,
                session_id = i % 2 == 0 ? $"load-{i}" : null,
            }, timeout.Token);
            Assert.Equal(200, (int)response.StatusCode);
            await response.Content.ReadAsStringAsync(timeout.Token);
        }).ToList();
        await Task.WhenAll(requests);
        // A session may already have been evicted to make room (404 then); each one ends deleted or evicted, exactly once.
        var deletes = 0;
        foreach (var i in Enumerable.Range(0, 8))
        {
            using var deleted = await client.DeleteAsync($"/v1/sessions/load-{2 * i}", timeout.Token);
            Assert.Contains((int)deleted.StatusCode, new[] { 200, 404 });
            deletes += deleted.IsSuccessStatusCode ? 1 : 0;
        }

        var counts = CountedKinds.ToDictionary(k => k, _ => 0L);
        var holders = new Dictionary<int, string>();
        long allocatedBlocks = 0, freedBlocks = 0;
        while (counts["finished"] < 16 || counts["session_deleted"] + counts["session_evicted"] < 8 || holders.Count > 0)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new Xunit.Sdk.XunitException("the event stream ended");
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                Assert.Equal("", line);
                continue;
            }
            var e = JsonDocument.Parse(line["data: ".Length..]).RootElement;
            var kind = e.GetProperty("kind").GetString()!;
            Assert.NotEqual("dropped", kind);
            if (counts.ContainsKey(kind))
            {
                counts[kind]++;
            }
            if (kind is "blocks_allocated" or "blocks_freed")
            {
                var owner = $"{e.GetProperty("owner").GetProperty("kind")}:{e.GetProperty("owner").GetProperty("id")}";
                foreach (var block in e.GetProperty("blocks").EnumerateArray().Select(b => b.GetInt32()))
                {
                    if (kind == "blocks_allocated")
                    {
                        Assert.True(holders.TryAdd(block, owner), $"block {block} allocated to {owner} while {holders.GetValueOrDefault(block)} held it");
                        allocatedBlocks++;
                    }
                    else
                    {
                        Assert.True(holders.Remove(block, out var holder), $"block {block} freed while free");
                        Assert.Equal(holder, owner);
                        freedBlocks++;
                    }
                }
            }
        }

        Assert.Equal(allocatedBlocks, freedBlocks);
        Assert.True(counts["preempted"] > 0, "the 2 MiB pool should have preempted someone under 16 streams");
        Assert.Equal(8, counts["session_created"]);
        Assert.Equal(deletes, counts["session_deleted"]);
        var metrics = PrometheusText.Parse(await client.GetStringAsync("/metrics", timeout.Token));
        foreach (var kind in CountedKinds)
        {
            var sample = metrics.SingleOrDefault(s => s.Name == "gqa_engine_events_total" && s.Labels.Contains($"kind=\"{kind}\"", StringComparison.Ordinal));
            Assert.Equal(counts[kind], (long)(sample?.Value ?? 0));
        }
        Assert.Equal(allocatedBlocks, (long)metrics.Single(s => s.Name == "gqa_engine_kv_block_allocations_total").Value);
        Assert.Equal(freedBlocks, (long)metrics.Single(s => s.Name == "gqa_engine_kv_block_releases_total").Value);
        Assert.Equal(counts["preempted"], (long)metrics.Single(s => s.Name == "gqa_engine_preemptions_total").Value);
    }
}
