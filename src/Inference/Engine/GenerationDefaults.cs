namespace GqaService.Inference.Engine;

/// <summary>
/// The sampling values a model's <c>generation_config.json</c> recommends, used where a request names none (as vLLM does
/// with its generation config): plain data, each null when the file does not set it. Requests always win.
/// </summary>
public sealed record GenerationDefaults
{
    public static GenerationDefaults None { get; } = new();

    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    /// <summary>Applied where a request omits repetition_penalty (capped at ServingLimits.MaxRepetitionPenalty).</summary>
    public float? RepetitionPenalty { get; init; }
    public int? MaxNewTokens { get; init; }

    public bool IsEmpty => this == None;
}
