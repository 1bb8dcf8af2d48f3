namespace GqaService.Api.Tests.Support;

/// <summary>A fact that runs only when the official OpenAI Node SDK (npm <c>openai</c> of tests/package.json) is installed.</summary>
public sealed class NodeOpenAiSdkFactAttribute : FactAttribute
{
    public NodeOpenAiSdkFactAttribute()
    {
        var sdk = Path.Combine(ServiceProcess.RepositoryRoot, "tests", "node_modules", "openai");
        if (!Directory.Exists(sdk))
        {
            Skip = $"npm openai not installed at {sdk} (run scripts/install-deps.sh, or npm ci in tests/)";
        }
    }
}
