using System.Diagnostics.Metrics;
using GqaService.Inference.KvCache;

namespace GqaService.Inference.Engine;

/// <summary>
/// The engine's OpenTelemetry instruments (Meter "GqaService.Engine"). Gauges read the last published snapshot, so
/// scraping never touches engine-thread state.
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "GqaService.Engine";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _promptTokens;
    private readonly Counter<long> _generatedTokens;
    private readonly Counter<long> _reusedPrefixTokens;
    private readonly Counter<long> _preemptions;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _interTokenLatency;
    private readonly Histogram<double> _queueTime;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<int> _batchTokens;
    private volatile MemorySnapshot _snapshot = new();

    public EngineMetrics()
    {
        _promptTokens = _meter.CreateCounter<long>("gqa.engine.prompt_tokens", "{token}", "Prompt tokens admitted");
        _generatedTokens = _meter.CreateCounter<long>("gqa.engine.tokens_generated", "{token}", "Tokens generated");
        _reusedPrefixTokens = _meter.CreateCounter<long>("gqa.engine.prefix_tokens_reused", "{token}", "Prompt tokens whose KV was reused");
        _preemptions = _meter.CreateCounter<long>("gqa.engine.preemptions", "{preemption}", "Sequences preempted for KV blocks");
        _requests = _meter.CreateCounter<long>("gqa.engine.requests", "{request}", "Finished requests by outcome");
        _timeToFirstToken = _meter.CreateHistogram("gqa.engine.time_to_first_token", "s", "Submit to first token",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _interTokenLatency = _meter.CreateHistogram("gqa.engine.inter_token_latency", "s", "Time between consecutive tokens of a stream",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        _queueTime = _meter.CreateHistogram("gqa.engine.queue_time", "s", "Submit to first scheduled step",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30] });
        _batchSize = _meter.CreateHistogram("gqa.engine.batch_size", "{sequence}", "Sequences per decoder step",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });
        _batchTokens = _meter.CreateHistogram("gqa.engine.batch_tokens", "{token}", "Tokens per decoder step",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096] });
        _meter.CreateObservableGauge("gqa.engine.queue_depth", () => _snapshot.WaitingRequests, "{request}", "Requests waiting for admission");
        _meter.CreateObservableGauge("gqa.engine.running_sequences", () => _snapshot.RunningSequences, "{sequence}", "Sequences being generated");
        _meter.CreateObservableGauge("gqa.engine.kv_blocks_used", () => _snapshot.BlocksUsed, "{block}", "KV blocks in use");
        _meter.CreateObservableGauge("gqa.engine.kv_blocks_free", () => _snapshot.BlocksFree, "{block}", "KV blocks free and empty");
        _meter.CreateObservableGauge("gqa.engine.kv_blocks_cached_free", () => _snapshot.BlocksCachedFree, "{block}",
            "KV blocks free but still holding a cached prefix (evicted on demand)");
        _meter.CreateObservableGauge("gqa.engine.kv_blocks_total", () => _snapshot.BlocksTotal, "{block}", "KV blocks in the pool");
        _meter.CreateObservableGauge("gqa.engine.kv_bytes_used", () => _snapshot.BytesUsed, "By", "KV bytes in use");
        _meter.CreateObservableGauge("gqa.engine.kv_tokens_cached", () => _snapshot.TokensCached, "{token}", "Token positions holding K/V");
        _meter.CreateObservableGauge("gqa.engine.sessions_cached", () => _snapshot.Sessions.Count, "{session}", "Sessions holding KV");
    }

    public MemorySnapshot Latest => _snapshot;

    public void Publish(MemorySnapshot snapshot) => _snapshot = snapshot;

    public void RecordAdmission(int promptTokens) => _promptTokens.Add(promptTokens);

    /// <summary>Counted when the request ends: a prefix is attached when the request starts, which may be after a wait.</summary>
    public void RecordPrefixReuse(int reusedTokens) => _reusedPrefixTokens.Add(reusedTokens);

    public void RecordStep(int sequences, int tokens)
    {
        _batchSize.Record(sequences);
        _batchTokens.Record(tokens);
    }

    public void RecordToken(TimeSpan? sincePrevious)
    {
        _generatedTokens.Add(1);
        if (sincePrevious is { } gap)
        {
            _interTokenLatency.Record(gap.TotalSeconds);
        }
    }

    public void RecordFirstToken(TimeSpan sinceSubmit) => _timeToFirstToken.Record(sinceSubmit.TotalSeconds);

    public void RecordQueueTime(TimeSpan queued) => _queueTime.Record(queued.TotalSeconds);

    public void RecordPreemption() => _preemptions.Add(1);

    public void RecordOutcome(string outcome) => _requests.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose() => _meter.Dispose();
}
