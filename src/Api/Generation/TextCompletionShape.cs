using GqaService.Api.Contracts;

namespace GqaService.Api.Generation;

public sealed class TextCompletionShape : ICompletionShape<CompletionResponse, CompletionChunk>
{
    public static TextCompletionShape Instance { get; } = new();

    public string Endpoint => "completions";
    public string IdPrefix => "cmpl-";

    public CompletionResponse Response(ResponseHeader header, string text, IReadOnlyList<int>? tokenIds, string finishReason, Usage usage) => new()
    {
        Id = header.Id,
        Created = header.Created,
        Model = header.Model,
        Choices = [new CompletionChoice { Text = text, FinishReason = finishReason, TokenIds = tokenIds }],
        Usage = usage,
    };

    public CompletionChunk? Opening(ResponseHeader header) => null;

    public CompletionChunk Delta(ResponseHeader header, string text, IReadOnlyList<int>? tokenIds) =>
        Chunk(header, [new CompletionChunkChoice { Text = text, TokenIds = tokenIds }]);

    public CompletionChunk Final(ResponseHeader header, string finishReason) =>
        Chunk(header, [new CompletionChunkChoice { Text = "", FinishReason = finishReason }]);

    public CompletionChunk UsageOnly(ResponseHeader header, Usage usage) => Chunk(header, []) with { Usage = usage };

    private static CompletionChunk Chunk(ResponseHeader header, IReadOnlyList<CompletionChunkChoice> choices) =>
        new() { Id = header.Id, Created = header.Created, Model = header.Model, Choices = choices };
}
