namespace GqaService.Api.Tests.Support;

/// <summary><see cref="TinyEngineServer"/> with two API keys on: two tenants of one engine.</summary>
public sealed class TwoKeyEngineServer() : TinyEngineServer(new Dictionary<string, string?>
{
    ["Api:ApiKeys:0"] = KeyA,
    ["Api:ApiKeys:1"] = KeyB,
})
{
    public const string KeyA = "tenant-a-key";
    public const string KeyB = "tenant-b-key";
}
