using GqaService.Inference.Engine;
using GqaService.Inference.Limits;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Limits;

/// <summary>The engine's limits come from the model and the options once at load, and its guard refuses exactly what the rules say.</summary>
public class ServingLimitsTests(ITestOutputHelper output)
{
    private const int Vocab = TinyCheckpoints.StoriesShapedVocabSize;

    private Task<EngineHarness> StartCappedAsync() => EngineHarness.StartAsync(TinyCheckpoints.StoriesShaped, output, o =>
    {
        o.MaxContext = LimitCase.ContextCap;
        o.MaxTokensLimit = LimitCase.MaxTokensLimit;
        o.DefaultMaxTokens = 2;
        o.MaxSessionIdLength = LimitCase.MaxSessionIdLength;
        o.MaxStopSequences = 3;
        o.MaxStopSequenceLength = 9;
        o.RequestTimeoutSeconds = 77;
    });

    [Fact]
    public async Task Limits_AreTheModelsContextUnderTheConfiguredCap_AndTheConfiguredValues()
    {
        await using var harness = await StartCappedAsync();
        var limits = harness.Engine.Limits;
        var memory = harness.Engine.GetMemorySnapshot();

        Assert.Equal((512, LimitCase.ContextCap, LimitCase.ContextCap - 1), (limits.ModelContextTokens, limits.ContextTokens, limits.MaxPromptTokens));
        Assert.Equal(memory.BlocksTotal * memory.BlockSize, limits.KvPoolTokens);
        Assert.Equal((Vocab, false), (limits.VocabSize, limits.HasTokenizer));
        Assert.Equal((2, LimitCase.MaxTokensLimit, 3, 9, LimitCase.MaxSessionIdLength), (limits.DefaultMaxTokens, limits.MaxTokens,
            limits.MaxStopSequences, limits.MaxStopSequenceLength, limits.MaxSessionIdLength));
        Assert.Equal(TimeSpan.FromSeconds(77), limits.RequestTimeout);
    }

    [Fact]
    public async Task EngineGuard_AtEveryBoundary_RefusesExactlyTheRuleBreakers_AndServesTheRest()
    {
        await using var harness = await StartCappedAsync();
        var cases = LimitCase.All(modelContext: 512, Vocab, wireValuesOnly: false, mixes: 40, seed: 91);

        for (var i = 0; i < cases.Count; i++)
        {
            var expected = cases[i].ExpectedErrorFields(Vocab);
            var request = cases[i].ToRequest(i);
            var validatorFields = new SortedSet<string>(GenerationRequestValidator.Validate(request, harness.Engine.Limits).Select(e => e.Field), StringComparer.Ordinal);
            Assert.True(expected.SetEquals(validatorFields), $"case {i} {cases[i]}: expected [{string.Join(", ", expected)}], validator [{string.Join(", ", validatorFields)}]");
            if (expected.Count > 0)
            {
                var refusal = Assert.Throws<InvalidGenerationRequestException>(() => harness.Engine.Submit(request));
                Assert.True(expected.SetEquals(refusal.Errors.Select(e => e.Field)), $"case {i}: the engine refused for [{string.Join(", ", refusal.Errors.Select(e => e.Field))}]");
                Assert.All(refusal.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
                continue;
            }
            var outcome = await harness.RunAsync(request);
            Assert.True(outcome.Finished is not null, $"case {i} {cases[i]} was admitted but failed: {outcome.Failed?.Code} {outcome.Failed?.Message}");
            // Zero is right when the first token is the case's stop id.
            Assert.InRange(outcome.TokenIds.Count, 0, request.MaxTokens);
            Assert.True(request.PromptTokenIds.Count + outcome.TokenIds.Count <= LimitCase.ContextCap, $"case {i} ran past the context cap");
        }
        foreach (var session in harness.Engine.ListSessions(""))
        {
            Assert.True(await harness.Engine.DeleteSessionAsync("", session.SessionId));
        }
        Assert.True(await harness.WaitForAsync(s => s.BlocksUsed == 0, TimeSpan.FromSeconds(2)), "blocks leaked");
    }

    [Fact]
    public async Task StopStrings_WithoutATokenizer_AreRefusedNamingStop()
    {
        await using var harness = await StartCappedAsync();
        var request = LimitCase.Valid.ToRequest(0) with { StopSequences = ["x"] };

        var refusal = Assert.Throws<InvalidGenerationRequestException>(() => harness.Engine.Submit(request));

        Assert.Equal("stop", Assert.Single(refusal.Errors).Field);
    }

    public static TheoryData<string[], bool> StopCases => new()
    {
        { ["a", "b", "c"], true },
        { ["a", "b", "c", "d"], false },
        { ["123456789"], true },
        { ["1234567890"], false },
        { [""], false },
    };

    [Theory]
    [MemberData(nameof(StopCases))]
    public void StopSequences_CountAndLengthLimits_AreInclusive(string[] stops, bool accepted)
    {
        var limits = HandMadeLimits() with { MaxStopSequences = 3, MaxStopSequenceLength = 9 };
        var errors = GenerationRequestValidator.Validate(LimitCase.Valid.ToRequest(0) with { StopSequences = stops }, limits);
        Assert.Equal(accepted, errors.Count == 0);
        Assert.All(errors, e => Assert.Equal("stop", e.Field));
    }

    [Theory]
    [InlineData(31, true)]
    [InlineData(32, true)]
    [InlineData(33, false)]
    public void PromptBlocks_MustFitTheWholePool_EvenBelowTheContext(int promptLength, bool accepted)
    {
        var limits = HandMadeLimits() with { KvPoolTokens = 32 };
        var errors = GenerationRequestValidator.Validate(LimitCase.Valid.ToRequest(0) with { PromptTokenIds = Enumerable.Repeat(1, promptLength).ToArray() }, limits);
        Assert.Equal(accepted, errors.Count == 0);
        Assert.All(errors, e => Assert.Contains("KV cache holds 32", e.Message));
    }

    [Fact]
    public void ChatFieldNames_KeyTheErrors()
    {
        var request = LimitCase.Valid.ToRequest(0) with { PromptTokenIds = [], MaxTokens = 0, Fields = RequestFieldNames.ChatCompletionTokens };
        var fields = GenerationRequestValidator.Validate(request, HandMadeLimits()).Select(e => e.Field);
        Assert.Equal(["messages", "max_completion_tokens"], fields);
    }

    private static ServingLimits HandMadeLimits() => new()
    {
        ModelContextTokens = 128, ContextTokens = 128, KvPoolTokens = 4096, VocabSize = Vocab, HasTokenizer = true, DefaultMaxTokens = 4,
        MaxTokens = 8, MaxStopSequences = 4, MaxStopSequenceLength = 16, MaxSessionIdLength = 16, RequestTimeout = TimeSpan.Zero,
        SessionIdleTimeout = TimeSpan.FromMinutes(1),
    };
}
