using System.Diagnostics.Metrics;
using GqaService.Inference.Engine;

namespace GqaService.Benchmarks;

/// <summary>Averages the engine's per-step batch size while a run is in progress.</summary>
internal sealed class BatchSizeListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _steps;
    private long _sequences;

    public BatchSizeListener()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == EngineMetrics.MeterName && instrument.Name == "gqa.engine.batch_size")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            Interlocked.Increment(ref _steps);
            Interlocked.Add(ref _sequences, value);
        });
        _listener.Start();
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _steps, 0);
        Interlocked.Exchange(ref _sequences, 0);
    }

    public double MeanBatchSize => _steps == 0 ? 0 : (double)_sequences / _steps;

    public long Steps => _steps;

    public void Dispose() => _listener.Dispose();
}
