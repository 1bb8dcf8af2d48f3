namespace GqaService.Api.Tests.Support;

/// <summary>
/// Tests that compare absolute counters on <c>/metrics</c> with what they saw themselves. The OpenTelemetry exporter
/// listens to the engine's meter by name, so every engine alive in the test process reports into every app's
/// <c>/metrics</c>; these tests therefore run alone, after the parallel collections (whose engines are disposed by then).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMetricsCollection
{
    public const string Name = "process-wide metrics";
}
