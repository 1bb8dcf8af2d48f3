using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

public sealed record ChatChoice
{
    public int Index { get; init; }
    public required ChatMessageOutput Message { get; init; }
    /// <summary>null unless the request asked for logprobs.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatLogprobs? Logprobs { get; init; }
    /// <example>stop</example>
    public required string FinishReason { get; init; }
    /// <summary>Extension, present when return_token_ids was set.</summary>
    public IReadOnlyList<int>? TokenIds { get; init; }
}
