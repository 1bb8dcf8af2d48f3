namespace GqaService.Api.Contracts;

/// <summary>POST /v1/completions.</summary>
public sealed class CompletionRequest : CompletionRequestBase
{
    /// <summary>A string (encoded with BOS) or an array of token ids used exactly as given.</summary>
    public PromptInput? Prompt { get; init; }
}
