namespace GqaService.Api.Contracts;

/// <summary>The token ids, their count and the served context (vLLM's /tokenize answer).</summary>
public sealed record TokenizeResponse
{
    /// <example>5</example>
    public required int Count { get; init; }

    /// <summary>The served context: prompt plus output never exceed it.</summary>
    /// <example>512</example>
    public required int MaxModelLen { get; init; }

    public required IReadOnlyList<int> Tokens { get; init; }

    /// <summary>Each token's text, when return_token_strs was set.</summary>
    public IReadOnlyList<string>? TokenStrs { get; init; }
}
