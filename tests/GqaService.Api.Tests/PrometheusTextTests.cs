using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>The test-side Prometheus parser must accept every valid exposition line, or metric tests fail by accident.</summary>
public class PrometheusTextTests
{
    [Fact]
    public void Parse_LabelValueHoldingBraces_IsASample()
    {
        var samples = PrometheusText.Parse("aspnetcore_routing_match_attempts_total{http_route=\"/v1/sessions/{id}\",status=\"a\\\"b\"} 2\n");

        var sample = Assert.Single(samples);
        Assert.Equal("aspnetcore_routing_match_attempts_total", sample.Name);
        Assert.Equal(2, sample.Value);
    }
}
