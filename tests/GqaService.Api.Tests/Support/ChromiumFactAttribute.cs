namespace GqaService.Api.Tests.Support;

/// <summary>A fact that runs only when Debian's chromium and the npm playwright-core of tests/package.json are installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (MissingTool() is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? MissingTool()
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            return $"no Chromium at {chromium} (scripts/install-deps.sh installs Debian's chromium)";
        }
        var playwright = Path.Combine(ServiceProcess.RepositoryRoot, "tests", "node_modules", "playwright-core");
        return Directory.Exists(playwright) ? null : $"npm playwright-core not installed at {playwright} (run scripts/install-deps.sh)";
    }
}
