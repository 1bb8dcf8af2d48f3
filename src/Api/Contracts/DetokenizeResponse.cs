namespace GqaService.Api.Contracts;

public sealed record DetokenizeResponse(string Prompt);
