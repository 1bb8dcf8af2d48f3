using GqaService.Inference.Engine;
using GqaService.Inference.Sampling;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

/// <summary>
/// n choices through the real engine on a generated checkpoint: one prefill whose blocks the choices fork, each choice equal
/// to an n = 1 request with its derived seed, and every block back in the pool however the request ends.
/// </summary>
public class ParallelChoicesTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static string Checkpoint(TemporaryDirectory directory)
    {
        var path = directory.File("choices.bin");
        var writer = new Llama2cCheckpointWriter { Dim = 32, HiddenDim = 48, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 300, SeqLen = 256 }.Fill(seed: 23);
        File.WriteAllBytes(path, writer.ToBytes());
        return path;
    }

    [Fact]
    public async Task ChoiceIEqualsAnNOneRequestWithSeedPlusI_ThePromptBlocksAreForked_AndEveryBlockReturns()
    {
        using var directory = new TemporaryDirectory();
        await using var harness = await EngineHarness.StartAsync(Checkpoint(directory), output, o => o.PrefillChunkSize = 8);
        var prompt = RandomModels.Tokens(new Random(24), 21, 300);
        var sampling = new SamplingParameters { Temperature = 1.2f, TopP = 0.95f, PresencePenalty = 0.5f, Seed = 777 };
        var request = EngineHarness.Greedy(prompt, 30) with { Sampling = sampling, Choices = 3, TopLogprobs = 2 };

        using var handle = harness.Engine.Submit(request);
        var choices = await GenerationResult.CollectChoicesAsync(handle).WaitAsync(Timeout);
        var singles = new List<GenerationResult>();
        for (var i = 0; i < 3; i++)
        {
            singles.Add(await harness.RunAsync(EngineHarness.Greedy(prompt, 30) with
            {
                Sampling = sampling with { Seed = SamplingParameters.SeedOfChoice(777, i) },
                TopLogprobs = 2,
            }));
        }

        Assert.All(choices, c => Assert.Null(c.Failed));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(singles[i].TokenIds, choices[i].TokenIds);
            Assert.Equal(30, choices[i].Logprobs.Count);
            Assert.Equal(singles[i].Logprobs.Select(l => l.Logprob), choices[i].Logprobs.Select(l => l.Logprob), new ToleranceComparer(1e-4));
        }
        Assert.True(choices.Select(c => string.Join(",", c.TokenIds)).Distinct().Count() > 1, "different seeds should give different choices");
        var blockSize = harness.Engine.GetMemorySnapshot().BlockSize;
        var promptBlocks = (prompt.Length + blockSize - 1) / blockSize;
        var usages = choices.Select(c => c.Finished!.Usage).ToArray();
        Assert.Equal(0, usages[0].ForkedBlocks);
        Assert.All(usages.Skip(1), u => Assert.Equal(promptBlocks, u.ForkedBlocks));
        // The forks computed nothing of the prompt: no recomputation, and their own blocks are only what their output needed.
        Assert.All(usages.Skip(1), u => Assert.Equal(0, u.RecomputedTokens));
        Assert.All(usages.Skip(1), u => Assert.True(u.KvBlocksAllocated <= (prompt.Length + 30 + blockSize - 1) / blockSize - promptBlocks + 1,
            $"a fork allocated {u.KvBlocksAllocated} blocks for 30 tokens after a {prompt.Length}-token prompt (block size {blockSize})"));
        Assert.Equal(prompt.Length, GenerationUsage.Combine(usages).PromptTokens);
        Assert.Equal(90, GenerationUsage.Combine(usages).CompletionTokens);
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0, Timeout), "every block is released after the choices finish");
    }

    [Fact]
    public async Task CancellingTheRequest_BeforeOrAfterTheFork_EndsEveryChoiceAndReleasesEveryBlock()
    {
        using var directory = new TemporaryDirectory();
        await using var harness = await EngineHarness.StartAsync(Checkpoint(directory), output, o => o.PrefillChunkSize = 4);
        var prompt = RandomModels.Tokens(new Random(25), 40, 300);
        var request = EngineHarness.Greedy(prompt, 200) with { Choices = 4 };

        // Before the fork: cancelled at once, while the prompt is still being prefilled in chunks of 4.
        using (var early = harness.Engine.Submit(request))
        {
            early.Cancel();
            var ended = await GenerationResult.CollectChoicesAsync(early).WaitAsync(Timeout);
            Assert.All(ended, e => Assert.Equal(FinishReason.Cancelled, e.Finished?.Reason));
        }
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0, Timeout), "no block is held after an early cancel");

        // After the fork: every choice has produced a token, then the request is cancelled.
        using (var late = harness.Engine.Submit(request with { RequestId = request.RequestId + "-late" }))
        {
            foreach (var choice in late.Choices)
            {
                Assert.True(await choice.Events.WaitToReadAsync().AsTask().WaitAsync(Timeout));
            }
            late.Cancel();
            var ended = await GenerationResult.CollectChoicesAsync(late).WaitAsync(Timeout);
            Assert.All(ended, e => Assert.NotNull(e.Finished));
            Assert.All(ended, e => Assert.True(e.TokenIds.Count > 0));
        }
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0 && s.RunningSequences == 0, Timeout), "no block is held after a late cancel");
    }

    [Fact]
    public async Task ARequestPastItsDeadlineBeforeItsPromptIsDone_FailsEveryChoice_AndHoldsNoBlock()
    {
        using var directory = new TemporaryDirectory();
        await using var harness = await EngineHarness.StartAsync(Checkpoint(directory), output);
        var prompt = RandomModels.Tokens(new Random(26), 30, 300);
        var request = EngineHarness.Greedy(prompt, 20) with { Choices = 3, Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) };

        using var handle = harness.Engine.Submit(request);
        var ended = await GenerationResult.CollectChoicesAsync(handle).WaitAsync(Timeout);

        Assert.All(ended, e => Assert.Equal(GenerationFailed.DeadlineExceeded, e.Failed?.Code));
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0, Timeout));
    }

    [Fact]
    public async Task TooManyChoices_OrChoicesWithASession_AreRefusedNamingN()
    {
        using var directory = new TemporaryDirectory();
        await using var harness = await EngineHarness.StartAsync(Checkpoint(directory), output);
        var prompt = RandomModels.Tokens(new Random(27), 5, 300);

        var tooMany = Assert.Throws<InvalidGenerationRequestException>(() => harness.Engine.Submit(EngineHarness.Greedy(prompt, 5) with { Choices = 17 }));
        var withSession = Assert.Throws<InvalidGenerationRequestException>(() => harness.Engine.Submit(EngineHarness.Greedy(prompt, 5, session: "s") with { Choices = 2 }));

        Assert.Contains(tooMany.Errors, e => e.Field == "n");
        Assert.Contains(withSession.Errors, e => e.Field == "n");
        Assert.Equal(0, harness.Engine.GetMemorySnapshot().BlocksUsed);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double value) => 0;
    }
}
