namespace GqaService.Api.Contracts;

/// <summary>The served model, OpenAI-shaped, plus its architecture (extension fields).</summary>
public sealed record ModelCard
{
    /// <example>stories260K</example>
    public required string Id { get; init; }
    /// <example>model</example>
    public string Object { get; init; } = "model";
    public required long Created { get; init; }
    /// <example>gqa-service</example>
    public string OwnedBy { get; init; } = "gqa-service";
    /// <example>512</example>
    public int MaxContext { get; init; }
    /// <example>512</example>
    public int VocabSize { get; init; }
    /// <example>5</example>
    public int NumLayers { get; init; }
    /// <example>8</example>
    public int NumHeads { get; init; }
    /// <example>4</example>
    public int NumKvHeads { get; init; }
    /// <example>8</example>
    public int HeadDim { get; init; }
    public long ParameterCount { get; init; }
    public bool IsDemo { get; init; }
    public bool HasTokenizer { get; init; }
    public string? Source { get; init; }
}
