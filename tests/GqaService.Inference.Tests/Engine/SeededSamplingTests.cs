using GqaService.Inference.Engine;
using GqaService.Inference.Sampling;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

/// <summary>Sampling through the real runner on a generated checkpoint: a seed fixes the output whatever shares the batch.</summary>
public class SeededSamplingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SameSeed_SameIds_AloneOrInABusyBatch_AndTemperatureZeroIsGreedy()
    {
        using var directory = new TemporaryDirectory();
        var checkpoint = directory.File("sampling.bin");
        var writer = new Llama2cCheckpointWriter { Dim = 32, HiddenDim = 48, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 300, SeqLen = 128 }.Fill(seed: 17);
        File.WriteAllBytes(checkpoint, writer.ToBytes());
        var random = new Random(18);
        var prompt = RandomModels.Tokens(random, 9, writer.VocabSize);
        var sampling = new SamplingParameters { Temperature = 1.1f, TopP = 0.95f, TopK = 60, Seed = 1234 };
        await using var harness = await EngineHarness.StartAsync(checkpoint, output, o => o.PrefillChunkSize = 4);
        GenerationRequest Seeded(SamplingParameters parameters) => EngineHarness.Greedy(prompt, 50) with { Sampling = parameters };

        var alone = await harness.RunAsync(Seeded(sampling));
        var others = Enumerable.Range(0, 6).Select(i => EngineHarness.Greedy(RandomModels.Tokens(random, 3 + 5 * i, writer.VocabSize), 40)
            with { Sampling = sampling with { Seed = (ulong)i } }).ToList();
        var busy = await Task.WhenAll(others.Select(harness.RunAsync).Prepend(harness.RunAsync(Seeded(sampling))));
        var otherSeed = await harness.RunAsync(Seeded(sampling with { Seed = 1235 }));
        var temperatureZero = await harness.RunAsync(Seeded(sampling with { Temperature = 0f }));
        var greedy = await harness.RunAsync(EngineHarness.Greedy(prompt, 50));

        Assert.All(busy.Append(alone).Append(otherSeed).Append(temperatureZero).Append(greedy), r => Assert.Null(r.Failed));
        Assert.Equal(50, alone.TokenIds.Count);
        Assert.Equal(alone.TokenIds, busy[0].TokenIds);
        Assert.NotEqual(alone.TokenIds, otherSeed.TokenIds);
        Assert.True(alone.TokenIds.Distinct().Count() > 5, "a temperature above 1 on random weights should not repeat one token");
        Assert.Equal(greedy.TokenIds, temperatureZero.TokenIds);
    }
}
