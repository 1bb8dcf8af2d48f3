using GqaService.Inference.Engine;
using GqaService.Inference.Sampling;

namespace GqaService.Inference.Tests.Support;

/// <summary>
/// One request built from values at and around every limit, with the fields it must be refused for stated independently of
/// the validator (the rules as the README gives them). Shared by the engine's and the API's boundary tests, so both are held
/// to the same answer.
/// </summary>
public sealed record LimitCase(int PromptLength, int PromptTokenId, int MaxTokens, float Temperature, float TopP, int TopK, int StopTokenId, int SessionIdLength)
{
    /// <summary>The setting both boundary tests serve: a context cap well below the model's, a small token limit.</summary>
    public const int ContextCap = 40;
    public const int MaxTokensLimit = 6;
    public const int MaxSessionIdLength = 12;

    public static LimitCase Valid { get; } = new(4, 7, 3, 0f, 1f, 0, 5, 0);

    /// <summary>Each limit's values just inside and just outside, one field at a time, then seeded random mixes of them.</summary>
    public static IReadOnlyList<LimitCase> All(int modelContext, int vocabSize, bool wireValuesOnly, int mixes, int seed)
    {
        int[] promptLengths = [0, 1, ContextCap - 2, ContextCap - 1, ContextCap, ContextCap + 1, modelContext - 1, modelContext];
        int[] tokenIds = [-1, 0, vocabSize - 1, vocabSize];
        int[] maxTokens = [0, 1, MaxTokensLimit, MaxTokensLimit + 1];
        float[] temperatures = wireValuesOnly ? [-0.001f, 0f, 2f, 2.001f] : [-0.001f, 0f, 2f, 2.001f, float.NaN, float.PositiveInfinity];
        float[] topPs = wireValuesOnly ? [0f, 1e-6f, 1f, 1.0001f] : [0f, 1e-6f, 1f, 1.0001f, float.NaN];
        int[] topKs = [-1, 0, 1];
        int[] sessionLengths = [0, 1, MaxSessionIdLength, MaxSessionIdLength + 1];
        var cases = new List<LimitCase>();
        cases.AddRange(promptLengths.Select(v => Valid with { PromptLength = v }));
        cases.AddRange(tokenIds.Select(v => Valid with { PromptTokenId = v }));
        cases.AddRange(maxTokens.Select(v => Valid with { MaxTokens = v }));
        cases.AddRange(temperatures.Select(v => Valid with { Temperature = v }));
        cases.AddRange(topPs.Select(v => Valid with { TopP = v }));
        cases.AddRange(topKs.Select(v => Valid with { TopK = v }));
        cases.AddRange(tokenIds.Select(v => Valid with { StopTokenId = v }));
        cases.AddRange(sessionLengths.Select(v => Valid with { SessionIdLength = v }));
        var random = new Random(seed);
        T Pick<T>(T[] values) => values[random.Next(values.Length)];
        for (var i = 0; i < mixes; i++)
        {
            cases.Add(new(Pick(promptLengths), Pick(tokenIds), Pick(maxTokens), Pick(temperatures), Pick(topPs), Pick(topKs), Pick(tokenIds), Pick(sessionLengths)));
        }
        return cases;
    }

    /// <summary>The JSON fields this case must be refused for (empty: it must be served).</summary>
    public SortedSet<string> ExpectedErrorFields(int vocabSize)
    {
        var fields = new SortedSet<string>(StringComparer.Ordinal);
        if (PromptLength < 1 || PromptLength > ContextCap - 1 || PromptTokenId < 0 || PromptTokenId >= vocabSize)
        {
            fields.Add("prompt");
        }
        if (MaxTokens < 1 || MaxTokens > MaxTokensLimit)
        {
            fields.Add("max_tokens");
        }
        if (!(Temperature >= 0f && Temperature <= 2f))
        {
            fields.Add("temperature");
        }
        if (!(TopP > 0f && TopP <= 1f))
        {
            fields.Add("top_p");
        }
        if (TopK < 0)
        {
            fields.Add("top_k");
        }
        if (StopTokenId < 0 || StopTokenId >= vocabSize)
        {
            fields.Add("stop_token_ids");
        }
        if (SessionIdLength > MaxSessionIdLength)
        {
            fields.Add("session_id");
        }
        return fields;
    }

    /// <summary>Prompt ids: BOS-like 1s with <see cref="PromptTokenId"/> last. A session id of length 0 means none.</summary>
    public int[] PromptIds() => PromptLength == 0 ? [] : [.. Enumerable.Repeat(1, PromptLength - 1), PromptTokenId];

    public string? SessionId(int index) => SessionIdLength == 0 ? null : $"{index}-".PadRight(SessionIdLength, 's')[..SessionIdLength];

    public GenerationRequest ToRequest(int index) => new()
    {
        RequestId = $"limit-{index}",
        PromptTokenIds = PromptIds(),
        MaxTokens = MaxTokens,
        Sampling = new SamplingParameters { Temperature = Temperature, TopP = TopP, TopK = TopK, Seed = 1 },
        StopTokenIds = [StopTokenId],
        SessionId = SessionId(index),
        IgnoreEos = true,
    };

    /// <summary>The same request as /v1/completions JSON.</summary>
    public object ToWire(int index) => new
    {
        prompt = PromptIds(),
        max_tokens = MaxTokens,
        temperature = Temperature,
        top_p = TopP,
        top_k = TopK,
        seed = 1,
        stop_token_ids = new[] { StopTokenId },
        session_id = SessionId(index),
        ignore_eos = true,
    };
}
