using GqaService.Inference.Engine;
using GqaService.Inference.Loading;
using GqaService.Inference.Tests.Support;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Loading;

/// <summary>Weight loading reports every tensor; the engine logs it once per second of a load that takes that long.</summary>
public class LoadProgressTests(ITestOutputHelper output)
{
    [Fact]
    public void Loading_ReportsEveryTensorOnce_UpToAllOfTheirBytes()
    {
        using var directory = new TemporaryDirectory();
        var writer = Llama2cCheckpointWriter.Small(sharedClassifier: false).Fill(41);
        File.WriteAllBytes(directory.File("small.bin"), writer.ToBytes());
        var reports = new RecordingProgress();

        using var model = ModelLoader.Load(directory.File("small.bin"), progress: reports);

        // token embedding, final norm, classifier and nine tensors per layer; every float once.
        var expectedTensors = 3 + writer.NumLayers * 9;
        Assert.Equal(Enumerable.Range(1, expectedTensors), reports.Values.Select(r => r.TensorsRead));
        Assert.All(reports.Values, r => Assert.Equal(expectedTensors, r.TensorsTotal));
        Assert.Equal(model.Weights.ParameterCount * sizeof(float), reports.Values[^1].BytesRead);
        Assert.Equal(1.0, reports.Values[^1].Fraction);
    }

    [Fact]
    public void ProgressLog_IsQuietForAFastLoad_ThenLogsAtMostOncePerInterval()
    {
        var clock = new ManualTimeProvider();
        var lines = new List<string>();
        var log = new LoadProgressLog(new ListLogger(lines, output), clock);

        log.Report(new WeightLoadProgress(1, 10, 100));
        clock.Advance(LoadProgressLog.Interval - TimeSpan.FromMilliseconds(1));
        log.Report(new WeightLoadProgress(2, 10, 200));
        Assert.Empty(lines);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        log.Report(new WeightLoadProgress(3, 10, 300));
        clock.Advance(TimeSpan.FromMilliseconds(500));
        log.Report(new WeightLoadProgress(4, 10, 400));
        clock.Advance(TimeSpan.FromMilliseconds(500));
        log.Report(new WeightLoadProgress(5, 10, 500));

        Assert.Equal(2, lines.Count);
        Assert.Contains("3/10 tensors", lines[0]);
        Assert.Contains("5/10 tensors", lines[1]);
    }

    private sealed class RecordingProgress : IProgress<WeightLoadProgress>
    {
        public List<WeightLoadProgress> Values { get; } = [];

        public void Report(WeightLoadProgress value) => Values.Add(value);
    }

    private sealed class ListLogger(List<string> lines, ITestOutputHelper output) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lines.Add(formatter(state, exception));
            output.WriteLine(lines[^1]);
        }
    }
}
