using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

/// <summary>The <c>prompt</c> field: either text or token ids (never both).</summary>
[JsonConverter(typeof(PromptInputJsonConverter))]
public sealed record PromptInput(string? Text, IReadOnlyList<int>? TokenIds)
{
    public static PromptInput FromText(string text) => new(text, null);

    public static PromptInput FromTokenIds(IReadOnlyList<int> ids) => new(null, ids);
}
