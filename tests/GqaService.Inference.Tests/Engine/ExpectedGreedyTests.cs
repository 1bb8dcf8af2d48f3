using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

/// <summary>The engine reproduces llama2.c's greedy continuations token for token, from both checkpoint formats.</summary>
public class ExpectedGreedyTests(ITestOutputHelper output)
{
    [RequiresSharedModelsTheory]
    [InlineData("llama2c")]
    [InlineData("huggingface")]
    public async Task Generate_EveryExpectedGreedyCase_MatchesReferenceIds(string format)
    {
        var path = format == "llama2c" ? SharedModels.Stories260KBin : SharedModels.Stories260KHf;
        await using var harness = await EngineHarness.StartAsync(path, output);
        foreach (var expected in ExpectedGreedyCase.Load())
        {
            var outcome = await harness.RunAsync(EngineHarness.Greedy(expected.PromptIds, expected.MaxNewTokens));
            Assert.Equal(expected.ExpectedIds, outcome.TokenIds);
        }
    }

    [RequiresSharedModelsFact]
    public async Task Generate_EveryExpectedGreedyCaseAtOnce_MatchesReferenceIdsInOneBatch()
    {
        await using var harness = await EngineHarness.StartAsync(SharedModels.Stories260KBin, output, o => o.PrefillChunkSize = 64);
        var cases = ExpectedGreedyCase.Load();
        var outcomes = await Task.WhenAll(cases.Select(c => harness.RunAsync(EngineHarness.Greedy(c.PromptIds, c.MaxNewTokens))));
        for (var i = 0; i < cases.Count; i++)
        {
            Assert.Equal(cases[i].ExpectedIds, outcomes[i].TokenIds);
        }
    }

    [RequiresSharedModelsFact]
    public async Task Generate_FirstCase_StreamsTheKnownGoodText()
    {
        await using var harness = await EngineHarness.StartAsync(SharedModels.Stories260KBin, output);
        var expected = ExpectedGreedyCase.Load()[0];
        var outcome = await harness.RunAsync(EngineHarness.Greedy(expected.PromptIds, expected.MaxNewTokens));
        Assert.Equal(expected.ExpectedText, outcome.Text);
    }

    [RequiresSharedModelsFact]
    public async Task Generate_OnceUponATime_ContinuesAsAStoryAndStopsAtEos()
    {
        await using var harness = await EngineHarness.StartAsync(SharedModels.Stories260KBin, output);
        var prompt = harness.Engine.Tokenizer!.Encode("Once upon a time");
        var outcome = await harness.RunAsync(EngineHarness.Greedy(prompt, 400) with { IgnoreEos = false });
        Assert.Equal(GqaService.Inference.Engine.FinishReason.Stop, outcome.Finished!.Reason);
        Assert.True(outcome.TokenIds.Count is > 20 and < 400, $"{outcome.TokenIds.Count} tokens: {outcome.Text}");
        Assert.Contains(".", outcome.Text);
    }
}
