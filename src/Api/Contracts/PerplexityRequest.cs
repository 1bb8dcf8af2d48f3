namespace GqaService.Api.Contracts;

/// <summary>POST /v1/perplexity: how well the served model predicts a text.</summary>
public sealed class PerplexityRequest
{
    /// <summary>Accepted for compatibility; the served model is measured whatever is named here.</summary>
    /// <example>stories260K</example>
    public string? Model { get; init; }

    /// <summary>Text (encoded with BOS, as a completion prompt) or token ids (used exactly as given); at least 2 tokens.</summary>
    /// <example>Once upon a time, there was a little girl named Lily. She loved to play outside in the park.</example>
    public PromptInput? Input { get; init; }

    /// <summary>
    /// Tokens between the starts of consecutive windows, 1..window (window: the served context less one); default half the
    /// window. Each token is scored once, by the first window that reaches it, with at least window − stride tokens of context.
    /// </summary>
    /// <example>255</example>
    public int? Stride { get; init; }
}
