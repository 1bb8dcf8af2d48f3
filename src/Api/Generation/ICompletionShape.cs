using GqaService.Api.Contracts;

namespace GqaService.Api.Generation;

/// <summary>How one endpoint (text or chat) spells its response and its stream chunks; the generation flow is shared.</summary>
public interface ICompletionShape<out TResponse, out TChunk>
{
    string Endpoint { get; }
    string IdPrefix { get; }
    TResponse Response(ResponseHeader header, IReadOnlyList<ChoiceOutput> choices, Usage usage);
    /// <summary>The chunk sent for a choice before any token (chat: the assistant role), or null.</summary>
    TChunk? Opening(ResponseHeader header, int choice);
    /// <summary>One token's text (and, when asked, its ids and logprobs) for a choice.</summary>
    TChunk Delta(ResponseHeader header, int choice, string text, IReadOnlyList<int>? tokenIds, IReadOnlyList<RenderedLogprob>? logprobs);
    TChunk Final(ResponseHeader header, int choice, string finishReason);
    TChunk UsageOnly(ResponseHeader header, Usage usage);
}
