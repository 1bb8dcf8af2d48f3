namespace GqaService.Api.Contracts;

/// <summary>Sent as <c>data: {"error":{...}}</c> when a stream fails after it started, then [DONE].</summary>
public sealed record StreamError(StreamErrorBody Error);
