using OpenTelemetry.Metrics;

namespace GqaService.Api.Observability;

/// <summary>
/// Histogram bucket boundaries, in seconds, for each latency this service reports. The SDK's default boundaries
/// (0, 5, 10 ... 10000) suit milliseconds: in seconds every observation would land in the first bucket.
/// </summary>
public static class LatencyBuckets
{
    /// <summary>Submit to first token: a few milliseconds on a small model, seconds behind a long queue or prompt.</summary>
    public static readonly double[] TimeToFirstToken = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>Gap between tokens of one stream: about a millisecond alone, tens of milliseconds in a full batch.</summary>
    public static readonly double[] InterTokenLatency = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    /// <summary>A whole request, up to the default five-minute deadline.</summary>
    public static readonly double[] RequestDuration = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    /// <summary>Submit to first scheduled step.</summary>
    public static readonly double[] QueueTime = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30];

    /// <summary>Instrument name to boundaries, for both the API's instruments and the engine's.</summary>
    public static IReadOnlyDictionary<string, double[]> ByInstrument { get; } = new Dictionary<string, double[]>
    {
        ["gqa.api.time_to_first_token"] = TimeToFirstToken,
        ["gqa.api.inter_token_latency"] = InterTokenLatency,
        ["gqa.api.request.duration"] = RequestDuration,
        ["gqa.engine.time_to_first_token"] = TimeToFirstToken,
        ["gqa.engine.inter_token_latency"] = InterTokenLatency,
        ["gqa.engine.queue_time"] = QueueTime,
    };

    public static MeterProviderBuilder AddLatencyViews(this MeterProviderBuilder metrics)
    {
        foreach (var (instrument, boundaries) in ByInstrument)
        {
            metrics.AddView(instrument, new ExplicitBucketHistogramConfiguration { Boundaries = boundaries });
        }
        return metrics;
    }
}
