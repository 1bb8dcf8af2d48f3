namespace GqaService.Api.Generation;

/// <summary>Endpoint metadata: the 200 answer may also be a text/event-stream of <paramref name="ChunkType"/> (documented by the Swagger filter).</summary>
public sealed record ServerSentEventsMetadata(Type ChunkType);
