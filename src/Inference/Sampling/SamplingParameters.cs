namespace GqaService.Inference.Sampling;

/// <summary>
/// How the next token is picked from the logits. Temperature 0 is greedy (argmax). Logit adjustments come first, on the raw
/// logits, in this order: <see cref="LogitBias"/>, <see cref="RepetitionPenalty"/>, then <see cref="FrequencyPenalty"/> and
/// <see cref="PresencePenalty"/>; then temperature; then <see cref="MinP"/>, <see cref="TopK"/> and <see cref="TopP"/> (the
/// order vLLM applies them). A greedy request still takes the argmax of the adjusted logits.
/// </summary>
public sealed record SamplingParameters
{
    // Declared first: Greedy below is initialised in textual order and needs it.
    private static readonly IReadOnlyDictionary<int, float> EmptyBias = new Dictionary<int, float>();

    public float Temperature { get; init; }
    /// <summary>Nucleus mass in (0, 1]; 1 disables it.</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Keep only the k most likely tokens; 0 disables it.</summary>
    public int TopK { get; init; }
    /// <summary>Keep only tokens whose probability is at least this fraction of the most likely one's, in [0, 1]; 0 disables it.</summary>
    public float MinP { get; init; }
    /// <summary>OpenAI's: subtracted once from the logit of every token the output already holds, in [-2, 2].</summary>
    public float PresencePenalty { get; init; }
    /// <summary>OpenAI's: subtracted from a token's logit once per time the output already holds it, in [-2, 2].</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>
    /// Hugging Face's and llama.cpp's (an extension): every token of the prompt or the output has its logit divided by this
    /// when positive and multiplied by it when negative; 1 disables it.
    /// </summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>
    /// Token id → bias added to its logit, in [-<see cref="MaxLogitBias"/>, <see cref="MaxLogitBias"/>]. The two ends are
    /// absolute, whatever the model's logit scale: -100 bans the token, and when some tokens have +100 only they can be chosen.
    /// </summary>
    public IReadOnlyDictionary<int, float> LogitBias { get; init; } = EmptyBias;
    /// <summary>Same seed, same output. Null draws a seed per request.</summary>
    public ulong? Seed { get; init; }

    public static SamplingParameters Greedy { get; } = new();

    /// <summary>The largest logit_bias magnitude (OpenAI's); a bias at either end bans or forces the token.</summary>
    public const float MaxLogitBias = 100f;

    public bool IsGreedy => Temperature == 0f || TopK == 1;

    /// <summary>Whether the raw logits are changed before sampling (penalties or a bias).</summary>
    public bool AdjustsLogits => LogitBias.Count > 0 || RepetitionPenalty != 1f || PenalisesOutput;

    /// <summary>Whether the presence or frequency penalty is on (both count the output's tokens).</summary>
    public bool PenalisesOutput => PresencePenalty != 0f || FrequencyPenalty != 0f;

    /// <summary>
    /// The seed of choice <paramref name="choice"/> of a request with n choices: <c>seed + choice</c> (wrapping at 2^64), so
    /// choice i of a request with seed s draws exactly what an n = 1 request with seed s + i draws.
    /// </summary>
    public static ulong SeedOfChoice(ulong seed, int choice) => unchecked(seed + (ulong)choice);
}
