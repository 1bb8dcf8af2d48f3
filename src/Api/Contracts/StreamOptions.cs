namespace GqaService.Api.Contracts;

public sealed class StreamOptions
{
    /// <summary>Send a last chunk with empty choices and the usage before [DONE].</summary>
    /// <example>true</example>
    public bool? IncludeUsage { get; init; }
}
