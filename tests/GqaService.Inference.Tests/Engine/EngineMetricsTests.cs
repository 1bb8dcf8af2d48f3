using System.Diagnostics.Metrics;
using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;

namespace GqaService.Inference.Tests.Engine;

public sealed class EngineMetricsTests
{
    [Fact]
    public void TheBlockGauges_ReadTheLastPublishedSnapshot_CachedFreeApartFromFree()
    {
        using var metrics = new EngineMetrics();
        // Values no other engine in this test process would publish: gauges of every EngineMetrics share the meter name.
        metrics.Publish(new MemorySnapshot { BlocksUsed = 70_001, BlocksFree = 70_002, BlocksCachedFree = 70_003, BlocksTotal = 210_006 });
        var observed = new Dictionary<string, List<long>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, meterListener) =>
        {
            if (instrument.Meter.Name == EngineMetrics.MeterName && instrument.Name.StartsWith("gqa.engine.kv_blocks_", StringComparison.Ordinal))
            {
                meterListener.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            lock (observed)
            {
                (observed.TryGetValue(instrument.Name, out var values) ? values : observed[instrument.Name] = []).Add(value);
            }
        });
        listener.Start();

        listener.RecordObservableInstruments();

        Assert.Contains(70_001, observed["gqa.engine.kv_blocks_used"]);
        Assert.Contains(70_002, observed["gqa.engine.kv_blocks_free"]);
        Assert.Contains(70_003, observed["gqa.engine.kv_blocks_cached_free"]);
        Assert.Contains(210_006, observed["gqa.engine.kv_blocks_total"]);
    }
}
