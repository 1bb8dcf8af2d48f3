namespace GqaService.Inference.Tests.Support;

/// <summary>A fact that skips, saying why, when an npm reference package of tests/package.json is not installed.</summary>
public sealed class RequiresNpmPackageFactAttribute : FactAttribute
{
    public RequiresNpmPackageFactAttribute(string package)
    {
        Skip = NpmReferences.SkipReason(package);
    }
}
