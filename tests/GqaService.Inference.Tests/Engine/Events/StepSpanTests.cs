using System.Diagnostics;
using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Engine.Events;

/// <summary>One root span per engine step, with the batch's shape as tags; a request's usage names the steps that served it.</summary>
public sealed class StepSpanTests
{
    [Fact]
    public void EveryStepIsARootSpan_WithItsBatch_AndTheRequestListsTheStepsThatServedIt()
    {
        using var engine = new StepCoreFixture(totalBlocks: 16, blockSize: 4, prefillChunkSize: 4);
        var spans = new List<Activity>();
        using var parent = new Activity("an unrelated request").Start();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == StepTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (spans) spans.Add(activity); },
        };
        ActivitySource.AddActivityListener(listener);

        var id = engine.Submit(promptLength: 6, maxTokens: 3);
        var stepsRun = 0;
        while (engine.Requests.Count > 0)
        {
            engine.Step();
            stepsRun++;
        }
        var finished = Assert.IsType<GenerationFinished>(engine.Events(id)[^1]);

        List<Activity> mine;
        lock (spans)
        {
            // Other tests may run steps meanwhile; this request's links pick out this fixture's spans.
            mine = [.. spans.Where(s => finished.Usage.StepSpans.Contains(s.Context))];
        }
        // 6 prompt tokens in chunks of 4: two prefill steps (4, 2), then a decode step per further token.
        Assert.Equal(stepsRun, mine.Count);
        Assert.Equal(finished.Usage.StepSpans, mine.Select(s => s.Context));
        Assert.All(mine, s => Assert.Equal(default, s.ParentSpanId));
        Assert.All(mine, s => Assert.NotEqual(parent.TraceId, s.TraceId));
        Assert.Equal([4, 2, 0, 0], mine.Select(s => (int)s.GetTagItem("gqa.prefill_tokens")!));
        Assert.Equal([0, 0, 1, 1], mine.Select(s => (int)s.GetTagItem("gqa.decode_rows")!));
        Assert.Equal([1, 1, 1, 1], mine.Select(s => (int)s.GetTagItem("gqa.batch_size")!));
        Assert.Equal(0, (int)mine[^1].GetTagItem("gqa.kv_blocks_used")!);
        // Blocks of 4: the first chunk fills one, the second (6 tokens) two.
        Assert.Equal([1, 2], mine.Take(2).Select(s => (int)s.GetTagItem("gqa.kv_blocks_used")!));
    }
}
