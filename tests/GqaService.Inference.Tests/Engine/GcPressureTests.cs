using GqaService.Inference.Engine;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

/// <summary>
/// The engine under a collector that never rests: every step's native calls must keep their arguments alive
/// (TorchSharp's implicit <c>Scalar</c>s did not, and libtorch asserted in <c>c10/core/Scalar.h</c>).
/// </summary>
public class GcPressureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ConcurrentGreedyRequests_WhileAnotherThreadCollectsNonStop_AllSucceedWithTheirCalmIds()
    {
        using var directory = new TemporaryDirectory();
        var checkpoint = directory.File("pressure.bin");
        var writer = new Llama2cCheckpointWriter { Dim = 64, HiddenDim = 96, NumLayers = 4, NumHeads = 8, NumKvHeads = 2, VocabSize = 256, SeqLen = 192 }.Fill(seed: 91);
        File.WriteAllBytes(checkpoint, writer.ToBytes());
        var random = new Random(92);
        var requests = Enumerable.Range(0, 24)
            .Select(_ => (Prompt: RandomModels.Tokens(random, random.Next(2, 40), writer.VocabSize), MaxTokens: random.Next(60, 140)))
            .ToList();

        await using var harness = await EngineHarness.StartAsync(checkpoint, output, o => o.PrefillChunkSize = 16);
        var calm = await Task.WhenAll(requests.Select(r => harness.RunAsync(EngineHarness.Greedy(r.Prompt, r.MaxTokens))));

        GenerationResult[] stressed;
        long collections;
        using (var pressure = new GcPressure())
        {
            // Eight rounds, so the collector overlaps thousands of steps of prefill and decode.
            stressed = [];
            for (var round = 0; round < 8; round++)
            {
                stressed = await Task.WhenAll(requests.Select(r => harness.RunAsync(EngineHarness.Greedy(r.Prompt, r.MaxTokens))));
            }
            collections = pressure.Collections;
        }

        output.WriteLine($"{collections} full collections overlapped the stressed rounds");
        Assert.True(collections > 100, $"only {collections} collections ran: the stress did not overlap the steps");
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal(requests[i].MaxTokens, stressed[i].TokenIds.Count);
            Assert.Equal(calm[i].TokenIds, stressed[i].TokenIds);
        }
    }
}
