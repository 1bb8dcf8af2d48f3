using GqaService.Api.Contracts;

namespace GqaService.Api.Generation;

/// <summary>How one endpoint (text or chat) spells its response and its stream chunks; the generation flow is shared.</summary>
public interface ICompletionShape<out TResponse, out TChunk>
{
    string Endpoint { get; }
    string IdPrefix { get; }
    TResponse Response(ResponseHeader header, string text, IReadOnlyList<int>? tokenIds, string finishReason, Usage usage);
    /// <summary>The chunk sent before any token (chat: the assistant role), or null.</summary>
    TChunk? Opening(ResponseHeader header);
    TChunk Delta(ResponseHeader header, string text, IReadOnlyList<int>? tokenIds);
    TChunk Final(ResponseHeader header, string finishReason);
    TChunk UsageOnly(ResponseHeader header, Usage usage);
}
