using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

public sealed record CompletionChoice
{
    public int Index { get; init; }
    /// <example>Once upon a time, there was a little girl</example>
    public required string Text { get; init; }
    /// <summary>null unless the request asked for logprobs.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public CompletionLogprobs? Logprobs { get; init; }
    /// <summary>"stop" or "length".</summary>
    /// <example>length</example>
    public required string FinishReason { get; init; }
    /// <summary>Extension, present when return_token_ids was set.</summary>
    public IReadOnlyList<int>? TokenIds { get; init; }
}
