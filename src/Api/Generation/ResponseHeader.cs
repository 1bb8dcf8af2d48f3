namespace GqaService.Api.Generation;

/// <summary>The id, creation time and model name every response and chunk of one request repeats.</summary>
public sealed record ResponseHeader(string Id, long Created, string Model);
