using GqaService.Api.Contracts;

namespace GqaService.Api.Generation;

public sealed class ChatCompletionShape : ICompletionShape<ChatCompletionResponse, ChatCompletionChunk>
{
    public static ChatCompletionShape Instance { get; } = new();

    public string Endpoint => "chat.completions";
    public string IdPrefix => "chatcmpl-";

    public ChatCompletionResponse Response(ResponseHeader header, string text, IReadOnlyList<int>? tokenIds, string finishReason, Usage usage) => new()
    {
        Id = header.Id,
        Created = header.Created,
        Model = header.Model,
        Choices = [new ChatChoice { Message = new ChatMessageOutput { Content = text }, FinishReason = finishReason, TokenIds = tokenIds }],
        Usage = usage,
    };

    public ChatCompletionChunk? Opening(ResponseHeader header) =>
        Chunk(header, [new ChatChunkChoice { Delta = new ChatDelta { Role = "assistant", Content = "" } }]);

    public ChatCompletionChunk Delta(ResponseHeader header, string text, IReadOnlyList<int>? tokenIds) =>
        Chunk(header, [new ChatChunkChoice { Delta = new ChatDelta { Content = text }, TokenIds = tokenIds }]);

    public ChatCompletionChunk Final(ResponseHeader header, string finishReason) =>
        Chunk(header, [new ChatChunkChoice { Delta = new ChatDelta(), FinishReason = finishReason }]);

    public ChatCompletionChunk UsageOnly(ResponseHeader header, Usage usage) => Chunk(header, []) with { Usage = usage };

    private static ChatCompletionChunk Chunk(ResponseHeader header, IReadOnlyList<ChatChunkChoice> choices) =>
        new() { Id = header.Id, Created = header.Created, Model = header.Model, Choices = choices };
}
