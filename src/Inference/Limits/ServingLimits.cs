using GqaService.Inference.Engine;
using GqaService.Inference.Model;
using GqaService.Inference.Sampling;

namespace GqaService.Inference.Limits;

/// <summary>
/// What one request may ask of the loaded engine, computed once when the model and the KV pool exist. The API validates
/// against these values before submitting and the engine guards with the same values, so they can never disagree.
/// </summary>
public sealed record ServingLimits
{
    /// <summary>OpenAI's documented temperature range is [0, 2]; above 2 the output is noise.</summary>
    public const float DefaultMaxTemperature = 2f;

    /// <summary>The context the checkpoint was trained for (<c>max_position_embeddings</c>, llama2.c <c>seq_len</c>).</summary>
    public required int ModelContextTokens { get; init; }

    /// <summary>The context served: the model's, or <c>Inference:MaxContext</c> when that is smaller. Prompt plus output never exceed it.</summary>
    public required int ContextTokens { get; init; }

    /// <summary>Token slots of the whole KV pool: a prompt needing more blocks than exist can never run.</summary>
    public required int KvPoolTokens { get; init; }

    /// <summary>Token ids (prompt and stop ids) lie in [0, VocabSize).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Stop strings and text prompts need a tokenizer.</summary>
    public required bool HasTokenizer { get; init; }

    /// <summary>max_tokens when a request names none.</summary>
    public required int DefaultMaxTokens { get; init; }

    /// <summary>Largest max_tokens a request may ask for.</summary>
    public required int MaxTokens { get; init; }

    public required int MaxStopSequences { get; init; }

    /// <summary>Longest stop string, in UTF-16 characters.</summary>
    public required int MaxStopSequenceLength { get; init; }

    public required int MaxSessionIdLength { get; init; }

    /// <summary>temperature lies in [0, MaxTemperature]; top_p in (0, 1]; top_k is 0 (off) or positive.</summary>
    public float MaxTemperature { get; init; } = DefaultMaxTemperature;

    /// <summary>presence_penalty and frequency_penalty lie in [-MaxOutputPenalty, MaxOutputPenalty] (OpenAI's range).</summary>
    public float MaxOutputPenalty { get; init; } = 2f;

    /// <summary>repetition_penalty lies in (0, MaxRepetitionPenalty]; 1 is off, above 1 discourages repeats.</summary>
    public float MaxRepetitionPenalty { get; init; } = 10f;

    /// <summary>A logit_bias value lies in [-MaxLogitBias, MaxLogitBias] (OpenAI's range; the sampler gives the ends their meaning).</summary>
    public float MaxLogitBias => SamplingParameters.MaxLogitBias;

    /// <summary>Most logit_bias entries one request may carry (OpenAI's limit).</summary>
    public int MaxLogitBiasEntries { get; init; } = 300;

    /// <summary>Most choices (n) per request: each holds its own decode slot and KV blocks past the shared prompt.</summary>
    public int MaxChoices { get; init; } = 16;

    /// <summary>Completions' <c>logprobs</c> lies in 0..MaxCompletionLogprobs (OpenAI's 5).</summary>
    public int MaxCompletionLogprobs { get; init; } = 5;

    /// <summary>Chat's <c>top_logprobs</c> lies in 0..MaxChatTopLogprobs (OpenAI's 20).</summary>
    public int MaxChatTopLogprobs { get; init; } = 20;

    /// <summary>Deadline of a request that carries none, queue time included; zero means none.</summary>
    public required TimeSpan RequestTimeout { get; init; }

    /// <summary>A cached session idle this long is evicted.</summary>
    public required TimeSpan SessionIdleTimeout { get; init; }

    /// <summary>
    /// Longest prompt that can run: one position stays free for the first generated token, and its blocks must fit the pool.
    /// </summary>
    public int MaxPromptTokens => Math.Min(ContextTokens - 1, KvPoolTokens);

    /// <summary>The configured cap (0: none) applied to the model's context.</summary>
    public static int EffectiveContext(int modelContext, int configuredCap) =>
        configuredCap > 0 ? Math.Min(configuredCap, modelContext) : modelContext;

    public static ServingLimits Create(EngineOptions options, ModelConfig config, bool hasTokenizer, int kvPoolTokens) => new()
    {
        ModelContextTokens = config.MaxContext,
        ContextTokens = EffectiveContext(config.MaxContext, options.MaxContext),
        KvPoolTokens = kvPoolTokens,
        VocabSize = config.VocabSize,
        HasTokenizer = hasTokenizer,
        DefaultMaxTokens = options.DefaultMaxTokens,
        MaxTokens = options.MaxTokensLimit,
        MaxStopSequences = options.MaxStopSequences,
        MaxStopSequenceLength = options.MaxStopSequenceLength,
        MaxSessionIdLength = options.MaxSessionIdLength,
        RequestTimeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds),
        SessionIdleTimeout = TimeSpan.FromSeconds(options.SessionIdleTimeoutSeconds),
    };
}
