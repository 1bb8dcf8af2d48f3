namespace GqaService.Api.Generation;

/// <summary>What a generation request carries besides its body: its id, the X-Session-Id header, and the caller's tenant.</summary>
internal sealed record RequestOrigin(string RequestId, string? SessionHeader, string Tenant);
