using System.Text.Json;

namespace GqaService.Inference.Tests.Support;

/// <summary>The cases of ../shared/models/stories260K/expected-greedy.json (llama2.c's run.c, float32 greedy).</summary>
internal sealed record ExpectedGreedyCase(int[] PromptIds, string? PromptText, int MaxNewTokens, int[] ExpectedIds, string? ExpectedText)
{
    public static IReadOnlyList<ExpectedGreedyCase> Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(SharedModels.ExpectedGreedy));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new ExpectedGreedyCase(
            c.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.TryGetProperty("prompt_text", out var text) ? text.GetString() : null,
            c.GetProperty("max_new_tokens").GetInt32(),
            c.GetProperty("expected_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.TryGetProperty("expected_text", out var expected) ? expected.GetString() : null)).ToList();
    }
}
