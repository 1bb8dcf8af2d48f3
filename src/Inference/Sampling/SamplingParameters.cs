namespace GqaService.Inference.Sampling;

/// <summary>How the next token is picked from the logits. Temperature 0 is greedy (argmax).</summary>
public sealed record SamplingParameters
{
    public float Temperature { get; init; }
    /// <summary>Nucleus mass in (0, 1]; 1 disables it.</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Keep only the k most likely tokens; 0 disables it.</summary>
    public int TopK { get; init; }
    /// <summary>Same seed, same output. Null draws a seed per request.</summary>
    public ulong? Seed { get; init; }

    public static SamplingParameters Greedy { get; } = new();

    public bool IsGreedy => Temperature == 0f || TopK == 1;
}
