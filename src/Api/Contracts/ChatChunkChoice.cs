using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

public sealed record ChatChunkChoice
{
    public int Index { get; init; }
    public required ChatDelta Delta { get; init; }
    /// <summary>null unless the request asked for logprobs.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatLogprobs? Logprobs { get; init; }
    /// <summary>null until the final chunk, then "stop" or "length".</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
    /// <summary>Extension: the token ids this chunk carries (return_token_ids).</summary>
    public IReadOnlyList<int>? TokenIds { get; init; }
}
