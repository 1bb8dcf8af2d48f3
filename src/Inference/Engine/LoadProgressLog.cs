using GqaService.Inference.Loading;
using Microsoft.Extensions.Logging;

namespace GqaService.Inference.Engine;

/// <summary>
/// Logs weight loading as it goes, at most once per <see cref="Interval"/> and only once a load has taken that long, so a
/// large model shows progress and a small one adds no lines. Reports arrive synchronously on the loading thread.
/// </summary>
internal sealed class LoadProgressLog(ILogger logger, TimeProvider time) : IProgress<WeightLoadProgress>
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly DateTimeOffset _started = time.GetUtcNow();
    private DateTimeOffset _lastLogged = time.GetUtcNow();

    public TimeSpan Elapsed => time.GetUtcNow() - _started;

    public void Report(WeightLoadProgress value)
    {
        var now = time.GetUtcNow();
        if (now - _lastLogged < Interval)
        {
            return;
        }
        _lastLogged = now;
        logger.LogInformation("Loading weights: {TensorsRead}/{TensorsTotal} tensors, {BytesRead} bytes ({Percent:F0} %), {Seconds:F1} s",
            value.TensorsRead, value.TensorsTotal, value.BytesRead, value.Fraction * 100, (now - _started).TotalSeconds);
    }
}
