using System.Security.Cryptography;
using System.Text;

namespace GqaService.Api.Security;

/// <summary>
/// Who sent a request, as the API-key check established it (an HttpContext feature): with keys on, the tenant of the key
/// presented; with keys off, the one tenant <c>""</c>. Sessions belong to a tenant, and the rate limit partitions by it.
/// </summary>
public sealed record ApiCaller(string Tenant, bool Authenticated)
{
    public static ApiCaller Anonymous { get; } = new("", false);

    /// <summary>A stable, non-secret name for a key: the start of its SHA-256 (the key itself never reaches the engine or a log).</summary>
    public static ApiCaller ForKey(string key) =>
        new("key-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16], true);

    public static ApiCaller Of(HttpContext context) => context.Features.Get<ApiCaller>() ?? Anonymous;
}
