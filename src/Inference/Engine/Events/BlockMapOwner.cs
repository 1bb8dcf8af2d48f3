namespace GqaService.Inference.Engine.Events;

/// <summary>One owner in a <see cref="BlockMap"/>: a session or a request, the request running for it if any, its tokens and blocks.</summary>
public sealed record BlockMapOwner(string Kind, string Id, string? RequestId, int Tokens, int Blocks);
