namespace GqaService.Api.Contracts;

public sealed record HealthStatus(string Status);
