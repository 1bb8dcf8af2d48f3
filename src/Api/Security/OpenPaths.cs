namespace GqaService.Api.Security;

/// <summary>Paths that never need an API key and are never rate limited: probes, the scrape endpoint, the API docs.</summary>
internal static class OpenPaths
{
    public static bool Contains(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/swagger");
}
