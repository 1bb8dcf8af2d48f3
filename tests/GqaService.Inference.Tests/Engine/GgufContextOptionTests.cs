using GqaService.Inference.Loading;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

/// <summary>
/// Inference:GgufContextLength sets the context of a GGUF file that states it wrongly (stories260K.gguf says 128, the model
/// was trained with 512), Inference:MaxContext still caps what is served, and the override is refused for other formats.
/// </summary>
public sealed class GgufContextOptionTests(ITestOutputHelper output)
{
    private static string StoriesGguf => Path.Combine(SharedModels.Directory, "stories260K-gguf", "stories260K.gguf");

    [RequiresSharedModelsFact]
    public async Task TheFilesContextIsServedWithoutTheOption()
    {
        await using var harness = await EngineHarness.StartAsync(StoriesGguf, output);

        Assert.Equal((128, 128), (harness.Engine.Limits.ModelContextTokens, harness.Engine.Limits.ContextTokens));
    }

    [RequiresSharedModelsFact]
    public async Task TheOptionSetsTheModelsContextAndMaxContextCapsIt()
    {
        await using (var raised = await EngineHarness.StartAsync(StoriesGguf, output, o => o.GgufContextLength = 512))
        {
            Assert.Equal((512, 512), (raised.Engine.Limits.ModelContextTokens, raised.Engine.Limits.ContextTokens));
            Assert.Contains(raised.Engine.Model.Notes, n => n.Contains("context 512 from Inference:GgufContextLength (llama.context_length says 128)", StringComparison.Ordinal));
            // A prompt longer than the file's 128 now runs.
            var result = await raised.RunAsync(EngineHarness.Greedy([1, .. Enumerable.Repeat(300, 200)], maxTokens: 4));
            Assert.NotNull(result.Finished);
        }
        await using var capped = await EngineHarness.StartAsync(StoriesGguf, output, o => (o.GgufContextLength, o.MaxContext) = (512, 256));
        Assert.Equal((512, 256), (capped.Engine.Limits.ModelContextTokens, capped.Engine.Limits.ContextTokens));
    }

    [Fact]
    public void TheOverrideIsRefusedForOtherFormats()
    {
        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(TinyCheckpoints.StoriesShaped, contextLength: 1024));

        Assert.Contains("(Inference:GgufContextLength) applies to GGUF files only", error.Message, StringComparison.Ordinal);
    }
}
