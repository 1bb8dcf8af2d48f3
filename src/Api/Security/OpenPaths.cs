namespace GqaService.Api.Security;

/// <summary>
/// Paths that never need an API key and are never rate limited: probes, the scrape endpoint, the API docs, and the
/// observatory page's static files (they hold no data; the page asks for a key and sends it with every /v1 call).
/// </summary>
internal static class OpenPaths
{
    public static bool Contains(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/swagger")
        || path.StartsWithSegments("/ui") || path == "/";
}
