using System.Globalization;
using GqaService.Api.Observability;
using GqaService.Api.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GqaService.Api.Tests;

/// <summary>The latency histograms as Prometheus scrapes them: second-sized buckets, so a fast request is told from a slow one.</summary>
public sealed class LatencyBucketTests
{
    [Fact]
    public async Task ThirtyMillisecondTimeToFirstToken_FallsIntoABucketBelowFiftyMilliseconds()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();
        var telemetry = app.Services.GetRequiredService<ApiTelemetry>();

        telemetry.RecordTimeToFirstToken("bucket-test", TimeSpan.FromMilliseconds(30));
        telemetry.RecordInterTokenLatency("bucket-test", TimeSpan.FromMilliseconds(2));
        telemetry.RecordOutcome("bucket-test", RequestOutcome.Ok, TimeSpan.FromSeconds(1.5));
        var samples = PrometheusText.Parse(await client.GetStringAsync("/metrics"));

        var ttft = Buckets(samples, "gqa_api_time_to_first_token_seconds");
        Assert.Equal(1, ttft[0.05]);
        Assert.Equal(0, ttft.Where(b => b.Key < 0.03).Sum(b => b.Value));
        Assert.Contains(ttft.Keys, le => le < 0.03);
        var interToken = Buckets(samples, "gqa_api_inter_token_latency_seconds");
        Assert.Equal(1, interToken.Where(b => b.Key <= 0.005).Max(b => b.Value));
        Assert.Equal(0, interToken.Where(b => b.Key < 0.002).Sum(b => b.Value));
        var duration = Buckets(samples, "gqa_api_request_duration_seconds");
        Assert.Equal(1, duration.Where(b => b.Key <= 5).Max(b => b.Value));
        Assert.Equal(0, duration.Where(b => b.Key < 1.5).Sum(b => b.Value));
    }

    /// <summary>Cumulative bucket counts by upper bound (+Inf left out) of the series tagged endpoint="bucket-test".</summary>
    private static SortedDictionary<double, double> Buckets(IReadOnlyList<PrometheusText.Sample> samples, string histogram)
    {
        var buckets = new SortedDictionary<double, double>();
        foreach (var sample in samples.Where(s => s.Name == $"{histogram}_bucket" && s.Labels.Contains("endpoint=\"bucket-test\"")))
        {
            var le = sample.Labels.Split(',').Single(l => l.StartsWith("le=", StringComparison.Ordinal))[4..^1];
            if (le != "+Inf")
            {
                buckets[double.Parse(le, CultureInfo.InvariantCulture)] = sample.Value;
            }
        }
        Assert.NotEmpty(buckets);
        return buckets;
    }
}
