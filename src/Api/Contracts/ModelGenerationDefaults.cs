namespace GqaService.Api.Contracts;

/// <summary>The model's generation_config.json sampling values, used where a request names none (null: not set).</summary>
public sealed record ModelGenerationDefaults
{
    /// <example>0.6</example>
    public float? Temperature { get; init; }
    /// <example>0.9</example>
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    public float? RepetitionPenalty { get; init; }
    public int? MaxNewTokens { get; init; }
}
