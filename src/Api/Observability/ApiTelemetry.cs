using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GqaService.Api.Observability;

/// <summary>
/// The API's own spans and instruments. Latencies here are measured at the HTTP layer (what a client sees), next to the
/// engine's own instruments on Meter "GqaService.Engine". Thread-safe (instruments are).
/// </summary>
public sealed class ApiTelemetry
{
    public const string SourceName = "GqaService.Api";
    public const string EngineMeterName = "GqaService.Engine";

    public static readonly ActivitySource ActivitySource = new(SourceName);

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _interTokenLatency;
    private readonly Counter<long> _promptTokens;
    private readonly Counter<long> _completionTokens;

    public ApiTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(SourceName);
        _requests = meter.CreateCounter<long>("gqa.api.requests", "{request}", "Generation requests by endpoint and outcome.");
        _duration = meter.CreateHistogram<double>("gqa.api.request.duration", "s", "Generation request duration, submit to last byte.");
        _timeToFirstToken = meter.CreateHistogram<double>("gqa.api.time_to_first_token", "s", "Submit to first token, seen by the HTTP handler.");
        _interTokenLatency = meter.CreateHistogram<double>("gqa.api.inter_token_latency", "s", "Gap between consecutive tokens, seen by the HTTP handler.");
        _promptTokens = meter.CreateCounter<long>("gqa.api.prompt_tokens", "{token}", "Prompt tokens of finished requests.");
        _completionTokens = meter.CreateCounter<long>("gqa.api.completion_tokens", "{token}", "Generated tokens of finished requests.");
    }

    public void RecordOutcome(string endpoint, string outcome, TimeSpan? duration = null)
    {
        var tags = new TagList { { "endpoint", endpoint }, { "outcome", outcome } };
        _requests.Add(1, tags);
        if (duration is { } elapsed)
        {
            _duration.Record(elapsed.TotalSeconds, tags);
        }
    }

    public void RecordTimeToFirstToken(string endpoint, TimeSpan elapsed) =>
        _timeToFirstToken.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("endpoint", endpoint));

    public void RecordInterTokenLatency(string endpoint, TimeSpan gap) =>
        _interTokenLatency.Record(gap.TotalSeconds, new KeyValuePair<string, object?>("endpoint", endpoint));

    public void RecordTokens(string endpoint, int promptTokens, int completionTokens)
    {
        var tag = new KeyValuePair<string, object?>("endpoint", endpoint);
        _promptTokens.Add(promptTokens, tag);
        _completionTokens.Add(completionTokens, tag);
    }
}
