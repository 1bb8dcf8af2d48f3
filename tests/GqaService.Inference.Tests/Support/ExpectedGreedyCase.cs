using System.Text.Json;
using System.Text.Json.Serialization;

namespace GqaService.Inference.Tests.Support;

/// <summary>One case of shared/models/stories260K/expected-greedy.json (llama2.c's own greedy continuations).</summary>
internal sealed record ExpectedGreedyCase(
    [property: JsonPropertyName("prompt_ids")] int[] PromptIds,
    [property: JsonPropertyName("prompt_text")] string? PromptText,
    [property: JsonPropertyName("max_new_tokens")] int MaxNewTokens,
    [property: JsonPropertyName("expected_ids")] int[] ExpectedIds,
    [property: JsonPropertyName("expected_text")] string? ExpectedText)
{
    public static IReadOnlyList<ExpectedGreedyCase> Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(SharedModels.ExpectedGreedy));
        return document.RootElement.GetProperty("cases").Deserialize<ExpectedGreedyCase[]>()!;
    }
}
