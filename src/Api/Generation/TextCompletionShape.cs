using GqaService.Api.Contracts;

namespace GqaService.Api.Generation;

public sealed class TextCompletionShape : ICompletionShape<CompletionResponse, CompletionChunk>
{
    public static TextCompletionShape Instance { get; } = new();

    public string Endpoint => "completions";
    public string IdPrefix => "cmpl-";

    public CompletionResponse Response(ResponseHeader header, IReadOnlyList<ChoiceOutput> choices, Usage usage) => new()
    {
        Id = header.Id,
        Created = header.Created,
        Model = header.Model,
        Choices = choices.Select(c => new CompletionChoice
        {
            Index = c.Index,
            Text = c.Text,
            FinishReason = c.FinishReason,
            TokenIds = c.TokenIds,
            Logprobs = Logprobs(c.Logprobs),
        }).ToList(),
        Usage = usage,
    };

    public CompletionChunk? Opening(ResponseHeader header, int choice) => null;

    public CompletionChunk Delta(ResponseHeader header, int choice, string text, IReadOnlyList<int>? tokenIds, IReadOnlyList<RenderedLogprob>? logprobs) =>
        Chunk(header, [new CompletionChunkChoice { Index = choice, Text = text, TokenIds = tokenIds, Logprobs = Logprobs(logprobs) }]);

    public CompletionChunk Final(ResponseHeader header, int choice, string finishReason) =>
        Chunk(header, [new CompletionChunkChoice { Index = choice, Text = "", FinishReason = finishReason }]);

    public CompletionChunk UsageOnly(ResponseHeader header, Usage usage) => Chunk(header, []) with { Usage = usage };

    /// <summary>The legacy shape; an alternative whose text repeats a likelier one's keeps the likelier logprob (keys are texts).</summary>
    private static CompletionLogprobs? Logprobs(IReadOnlyList<RenderedLogprob>? logprobs) => logprobs is null ? null : new CompletionLogprobs
    {
        Tokens = logprobs.Select(l => l.Token).ToList(),
        TokenLogprobs = logprobs.Select(l => l.Logprob).ToList(),
        TopLogprobs = logprobs.Select(l => (IReadOnlyDictionary<string, double>)l.Top
            .DistinctBy(t => t.Token).ToDictionary(t => t.Token, t => t.Logprob)).ToList(),
        TextOffset = logprobs.Select(l => l.TextOffset).ToList(),
    };

    private static CompletionChunk Chunk(ResponseHeader header, IReadOnlyList<CompletionChunkChoice> choices) =>
        new() { Id = header.Id, Created = header.Created, Model = header.Model, Choices = choices };
}
