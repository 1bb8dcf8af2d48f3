namespace GqaService.Api.Contracts;

/// <summary>Chat's logprobs: one entry per generated token (OpenAI's <c>choices[].logprobs.content</c>).</summary>
public sealed record ChatLogprobs
{
    public required IReadOnlyList<ChatTokenLogprob> Content { get; init; }
}
