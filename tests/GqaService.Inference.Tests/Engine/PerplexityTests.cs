using System.Text.Json.Nodes;
using GqaService.Inference.Engine;
using GqaService.Inference.Limits;
using GqaService.Inference.Perplexity;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

public sealed class PerplexityTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ShortText_PerplexityIsExpOfTheMeanFloat64LogSoftmaxOfTheReferenceLogits()
    {
        var checkpoint = WriteCheckpoint(seed: 41);
        var tokens = RandomModels.Tokens(new Random(42), 60, checkpoint.Vocab);
        await using var harness = await EngineHarness.StartAsync(_directory.Path, output);

        var outcome = await PerplexityRunner.RunAsync(harness.Engine, tokens, stride: null, "ppl-short");

        var result = Assert.IsType<PerplexityResult>(outcome.Result);
        Assert.Equal(1, result.Windows);
        Assert.Equal(tokens.Length - 1, result.Tokens);
        var expectedMean = ReferenceMeanNll(checkpoint, tokens, [new PerplexityWindow(0, tokens.Length - 1, 0)]);
        AssertCloseRelative(expectedMean, result.MeanNegativeLogLikelihood);
        AssertCloseRelative(Math.Exp(expectedMean), result.Perplexity);
        Assert.Equal(harness.Engine.GetMemorySnapshot().KvBytesPerToken, result.KvBytesPerToken);
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(5)), "blocks leaked after a perplexity pass");
    }

    [Fact]
    public async Task LongText_WindowsWithStrideInChunkedBatches_EqualTheReferenceOverTheSameWindows()
    {
        var checkpoint = WriteCheckpoint(seed: 43);
        var tokens = RandomModels.Tokens(new Random(44), 100, checkpoint.Vocab);
        // A 33-token context makes 32-token windows; 8-token prefill chunks split each across steps, batched with the others.
        await using var harness = await EngineHarness.StartAsync(_directory.Path, output, o => { o.MaxContext = 33; o.PrefillChunkSize = 8; });

        // Generation runs alongside, so scoring rows and sampling rows share steps.
        var generation = harness.RunAsync(EngineHarness.Greedy(RandomModels.Tokens(new Random(45), 5, checkpoint.Vocab), 20));
        var outcome = await PerplexityRunner.RunAsync(harness.Engine, tokens, stride: 12, "ppl-long");
        await generation;

        var result = Assert.IsType<PerplexityResult>(outcome.Result);
        var windows = PerplexityPlan.Windows(tokens.Length, 32, 12);
        Assert.Equal(windows.Count, result.Windows);
        Assert.True(windows.Count > 3);
        Assert.Equal(tokens.Length - 1, result.Tokens);
        AssertCloseRelative(ReferenceMeanNll(checkpoint, tokens, windows), result.MeanNegativeLogLikelihood);
        // The whole text in one window would see more context: a different number, so the windows are really honoured.
        Assert.NotEqual(ReferenceMeanNll(checkpoint, tokens, [new PerplexityWindow(0, tokens.Length - 1, 0)]), result.MeanNegativeLogLikelihood, 1e-3);
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(5)), "blocks leaked after a perplexity pass");
    }

    [Fact]
    public async Task PoolTooSmallForTheWindowsInFlight_QueuesOrPreemptsThem_AndScoresTheSame()
    {
        var tokens = RandomModels.Tokens(new Random(46), 1400, TinyCheckpoints.StoriesShapedVocabSize);
        double roomy;
        await using (var large = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output))
        {
            roomy = (await PerplexityRunner.RunAsync(large.Engine, tokens, stride: 300, "ppl-roomy")).Result!.MeanNegativeLogLikelihood;
        }
        // 1 MiB holds 51 blocks of 16 (816 tokens) of this shape: four 511-token windows cannot all be resident at once.
        await using var small = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o => { o.KvCacheMiB = 1; o.PrefillChunkSize = 64; });

        var outcome = await PerplexityRunner.RunAsync(small.Engine, tokens, stride: 300, "ppl-tight");

        var result = Assert.IsType<PerplexityResult>(outcome.Result);
        Assert.Equal(tokens.Length - 1, result.Tokens);
        AssertCloseRelative(roomy, result.MeanNegativeLogLikelihood);
        Assert.True(await small.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(5)), "blocks leaked after a perplexity pass");
    }

    [Fact]
    public async Task ScoringRequestPreemptedMidPrefill_RecomputesWithoutScoringTwice()
    {
        var random = new Random(48);
        var generations = Enumerable.Range(0, 6).Select(_ => RandomModels.Tokens(random, 20, TinyCheckpoints.StoriesShapedVocabSize)).ToList();
        var scored = RandomModels.Tokens(random, 400, TinyCheckpoints.StoriesShapedVocabSize);
        var scoring = new GenerationRequest
        {
            RequestId = "scored", PromptTokenIds = scored[..399], MaxTokens = 1, Scoring = new PromptScoring(0, scored[399]), Fields = RequestFieldNames.Perplexity,
        };
        PromptScore expected;
        await using (var roomy = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output))
        {
            expected = (await roomy.RunAsync(scoring)).Finished!.Score!;
        }
        // 816 token slots. Submitted together (each Submit returns before the engine's next step), the six generations and
        // then the scoring request are admitted while young; the scoring request, prefilled 4 tokens a step for 100 steps,
        // is the newest running sequence, so it is the one preempted once the generations, growing to 200 tokens, fill the pool.
        await using var tight = await EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o => { o.KvCacheMiB = 1; o.PrefillChunkSize = 4; });
        var running = generations.Select(g => tight.RunAsync(EngineHarness.Greedy(g, 180))).ToList();
        var result = await tight.RunAsync(scoring with { RequestId = "scored-tight" });
        await Task.WhenAll(running);

        var finished = result.Finished!;
        Assert.True(finished.Usage.Preemptions > 0, "the pool was meant to preempt the scoring request");
        Assert.Equal(expected.ScoredTokens, finished.Score!.ScoredTokens);
        AssertCloseRelative(expected.NegativeLogLikelihood, finished.Score.NegativeLogLikelihood);
        Assert.True(await tight.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(5)), "blocks leaked");
    }

    [Fact]
    public void Windows_ScoreEveryTokenAfterTheFirstExactlyOnce()
    {
        foreach (var (count, window, stride) in new[] { (2, 5, 5), (100, 32, 12), (100, 32, 32), (33, 32, 1), (500, 511, 255) })
        {
            var scored = new int[count];
            foreach (var w in PerplexityPlan.Windows(count, window, stride))
            {
                Assert.InRange(w.Length, 1, window);
                for (var p = w.FirstScored; p < w.Length; p++)
                {
                    scored[w.Start + p + 1]++;
                }
            }
            Assert.Equal(0, scored[0]);
            Assert.All(scored.Skip(1), n => Assert.Equal(1, n));
        }
    }

    [Fact]
    public async Task InvalidScoringRequests_AreRefusedNamingTheField()
    {
        WriteCheckpoint(seed: 47);
        await using var harness = await EngineHarness.StartAsync(_directory.Path, output);
        var limits = harness.Engine.Limits;

        var tooShort = GenerationRequestValidator.ValidatePerplexity([5], null, limits);
        var badStride = GenerationRequestValidator.ValidatePerplexity([5, 6, 7], 0, limits);
        var outside = GenerationRequestValidator.ValidatePerplexity([5, 1000], null, limits);
        var withSession = Assert.Throws<InvalidGenerationRequestException>(() => harness.Engine.Submit(new GenerationRequest
        {
            RequestId = "scoring-session", PromptTokenIds = [3, 4, 5], MaxTokens = 1, SessionId = "s", Scoring = new PromptScoring(0, 6),
            Fields = RequestFieldNames.Perplexity,
        }));

        Assert.Equal("input", Assert.Single(tooShort).Field);
        Assert.Equal("stride", Assert.Single(badStride).Field);
        Assert.Contains("outside the vocabulary", Assert.Single(outside).Message, StringComparison.Ordinal);
        Assert.Contains(withSession.Errors, e => e.Field == "session_id");
        Assert.Equal(0, harness.Engine.GetMemorySnapshot().BlocksUsed);
    }

    private FamilyCheckpoint WriteCheckpoint(int seed)
    {
        var config = JsonNode.Parse(FamilyCheckpoint.Configs.TinyLlama)!.AsObject();
        var checkpoint = FamilyCheckpoint.Create(config.ToJsonString(), seed);
        checkpoint.WriteTo(_directory.Path);
        return checkpoint;
    }

    /// <summary>Mean over the windows' scored predictions of -log softmax(reference logits)[next token], all in float64.</summary>
    private static double ReferenceMeanNll(FamilyCheckpoint checkpoint, int[] tokens, IReadOnlyList<PerplexityWindow> windows)
    {
        double total = 0;
        var count = 0;
        foreach (var window in windows)
        {
            var logits = Float64ReferenceDecoder.Logits(checkpoint, tokens.AsSpan(window.Start, window.Length).ToArray());
            for (var p = window.FirstScored; p < window.Length; p++)
            {
                var row = logits[p];
                var max = row.Max();
                var logSum = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
                total += logSum - row[tokens[window.Start + p + 1]];
                count++;
            }
        }
        return total / count;
    }

    private static void AssertCloseRelative(double expected, double actual)
    {
        var error = Math.Abs(expected - actual) / Math.Abs(expected);
        Assert.True(error < 1e-5, $"expected {expected:R}, got {actual:R} (relative error {error:E2})");
    }
}
