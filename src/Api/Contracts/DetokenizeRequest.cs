namespace GqaService.Api.Contracts;

/// <summary>POST /detokenize (vLLM's shape).</summary>
public sealed class DetokenizeRequest
{
    public string? Model { get; init; }

    /// <summary>Token ids of the served vocabulary.</summary>
    /// <example>[1, 403, 407]</example>
    public IReadOnlyList<int>? Tokens { get; init; }
}
