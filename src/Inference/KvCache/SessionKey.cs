namespace GqaService.Inference.KvCache;

/// <summary>
/// A session's identity: the tenant that created it and the id it chose. Two tenants may use the same id; they get two
/// sessions that never meet. The tenant is <c>""</c> when API keys are off (one tenant).
/// </summary>
public readonly record struct SessionKey(string Tenant, string Id);
