using GqaService.Inference.Engine;
using GqaService.Inference.Sampling;
using GqaService.Inference.Tests.Sampling;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

/// <summary>
/// Logprobs through the whole engine (prefill, paged decode, sampler) on a Hugging Face checkpoint, against the float64
/// reference decoder's logits for the same tokens, log-softmaxed here.
/// </summary>
public sealed class LogprobsReferenceTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    [Fact]
    public async Task EveryStepsLogprobsAreTheFloat64LogSoftmaxOfTheModelsLogits_ThoughBiasAndTemperatureChangeTheChoice()
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.TinyLlama, seed: 41);
        checkpoint.WriteTo(_directory.Path);
        var prompt = RandomModels.Tokens(new Random(42), 11, checkpoint.Vocab);
        await using var harness = await EngineHarness.StartAsync(_directory.Path, output, o => o.PrefillChunkSize = 4);
        var sampling = new SamplingParameters { Temperature = 1.7f, Seed = 9, LogitBias = new Dictionary<int, float> { [7] = 3f } };

        var result = await harness.RunAsync(EngineHarness.Greedy(prompt, 6) with { Sampling = sampling, TopLogprobs = 5 });

        var tokens = prompt.Concat(result.TokenIds).ToArray();
        var logits = Float64ReferenceDecoder.Logits(checkpoint, tokens);
        Assert.Equal(6, result.Logprobs.Count);
        for (var step = 0; step < 6; step++)
        {
            var reference = LogprobTests.LogSoftmax(logits[prompt.Length - 1 + step]);
            var reported = result.Logprobs[step];
            Assert.True(Math.Abs(reference[result.TokenIds[step]] - reported.Logprob) < 1e-4,
                $"step {step}: logprob {reported.Logprob}, reference {reference[result.TokenIds[step]]}");
            var expectedTop = Enumerable.Range(0, reference.Length).OrderByDescending(id => reference[id]).Take(5).Select(id => reference[id]).ToArray();
            Assert.Equal(5, reported.Top.Count);
            for (var j = 0; j < 5; j++)
            {
                Assert.True(Math.Abs(expectedTop[j] - reported.Top[j].Logprob) < 1e-4, $"step {step}, alternative {j}");
                Assert.True(Math.Abs(reference[reported.Top[j].TokenId] - reported.Top[j].Logprob) < 1e-4, $"step {step}, alternative {j}'s id");
            }
        }
        Assert.True(result.TokenIds.Zip(Enumerable.Range(0, 6)).Any(p => PickedBelowTheTop(p.Second)),
            "at temperature 1.7 some step should pick a token other than the most likely, so the logprobs cannot be those of the choice's distribution");

        bool PickedBelowTheTop(int step) => result.Logprobs[step].Top[0].TokenId != result.TokenIds[step];
    }

    public void Dispose() => _directory.Dispose();
}
