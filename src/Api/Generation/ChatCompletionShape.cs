using GqaService.Api.Contracts;

namespace GqaService.Api.Generation;

public sealed class ChatCompletionShape : ICompletionShape<ChatCompletionResponse, ChatCompletionChunk>
{
    public static ChatCompletionShape Instance { get; } = new();

    public string Endpoint => "chat.completions";
    public string IdPrefix => "chatcmpl-";

    public ChatCompletionResponse Response(ResponseHeader header, IReadOnlyList<ChoiceOutput> choices, Usage usage) => new()
    {
        Id = header.Id,
        Created = header.Created,
        Model = header.Model,
        Choices = choices.Select(c => new ChatChoice
        {
            Index = c.Index,
            Message = new ChatMessageOutput { Content = c.Text },
            FinishReason = c.FinishReason,
            TokenIds = c.TokenIds,
            Logprobs = Logprobs(c.Logprobs),
        }).ToList(),
        Usage = usage,
    };

    public ChatCompletionChunk? Opening(ResponseHeader header, int choice) =>
        Chunk(header, [new ChatChunkChoice { Index = choice, Delta = new ChatDelta { Role = "assistant", Content = "" } }]);

    public ChatCompletionChunk Delta(ResponseHeader header, int choice, string text, IReadOnlyList<int>? tokenIds, IReadOnlyList<RenderedLogprob>? logprobs) =>
        Chunk(header, [new ChatChunkChoice { Index = choice, Delta = new ChatDelta { Content = text }, TokenIds = tokenIds, Logprobs = Logprobs(logprobs) }]);

    public ChatCompletionChunk Final(ResponseHeader header, int choice, string finishReason) =>
        Chunk(header, [new ChatChunkChoice { Index = choice, Delta = new ChatDelta(), FinishReason = finishReason }]);

    public ChatCompletionChunk UsageOnly(ResponseHeader header, Usage usage) => Chunk(header, []) with { Usage = usage };

    private static ChatLogprobs? Logprobs(IReadOnlyList<RenderedLogprob>? logprobs) => logprobs is null ? null : new ChatLogprobs
    {
        Content = logprobs.Select(l => new ChatTokenLogprob
        {
            Token = l.Token,
            Logprob = l.Logprob,
            Bytes = Bytes(l.Bytes),
            TopLogprobs = l.Top.Select(t => new ChatTopLogprob { Token = t.Token, Logprob = t.Logprob, Bytes = Bytes(t.Bytes) }).ToList(),
        }).ToList(),
    };

    private static List<int> Bytes(byte[] bytes) => bytes.Select(b => (int)b).ToList();

    private static ChatCompletionChunk Chunk(ResponseHeader header, IReadOnlyList<ChatChunkChoice> choices) =>
        new() { Id = header.Id, Created = header.Created, Model = header.Model, Choices = choices };
}
