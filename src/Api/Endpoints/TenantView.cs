using GqaService.Inference.Engine.Events;

namespace GqaService.Api.Endpoints;

/// <summary>
/// What one tenant may see of the engine's events and block map. With API keys on, sessions are named
/// <c>tenant/id</c> inside the engine; a caller sees its own sessions under their plain ids and every other tenant's as
/// <see cref="OtherTenant"/>, so the observatory never lists another key's session ids (the same rule as
/// <c>/v1/sessions</c>). With keys off there is one tenant ("") and names are plain ids.
/// </summary>
internal static class TenantView
{
    public const string OtherTenant = "(another tenant)";

    public static string? SessionName(string? engineName, string tenant)
    {
        if (engineName is null || tenant.Length == 0 && !engineName.Contains('/'))
        {
            return engineName;
        }
        var own = tenant + "/";
        return engineName.StartsWith(own, StringComparison.Ordinal) ? engineName[own.Length..] : OtherTenant;
    }

    public static EngineEvent Of(EngineEvent engineEvent, string tenant) => engineEvent.SessionId is null && engineEvent.Owner is not { Kind: BlockOwner.SessionKind }
        ? engineEvent
        : engineEvent with
        {
            SessionId = SessionName(engineEvent.SessionId, tenant),
            Owner = engineEvent.Owner is { Kind: BlockOwner.SessionKind } owner ? owner with { Id = SessionName(owner.Id, tenant)! } : engineEvent.Owner,
        };

    public static BlockMap Of(BlockMap map, string tenant) => map with
    {
        Owners = [.. map.Owners.Select(o => o.Kind == BlockOwner.SessionKind ? o with { Id = SessionName(o.Id, tenant)! } : o)],
    };
}
