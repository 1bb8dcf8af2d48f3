using GqaService.Api.Tests.Support;
using GqaService.Inference.KvCache;

namespace GqaService.Api.Tests;

public sealed class SessionEndpointTests
{
    private static FakeInferenceEngine EngineWithSessions()
    {
        var engine = new FakeInferenceEngine();
        engine.Sessions["idle"] = new SessionInfo("idle", 40, 3, 3072, DateTimeOffset.UtcNow, Active: false);
        engine.Sessions["busy"] = new SessionInfo("busy", 10, 1, 1024, DateTimeOffset.UtcNow, Active: true);
        return engine;
    }

    [Fact]
    public async Task ListSessions_ReturnsAll()
    {
        await using var app = TestApp.Create(EngineWithSessions());
        using var client = app.CreateClient();

        var body = await Json.ReadAsync(await client.GetAsync("/v1/sessions"));

        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal(2, body.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task GetSession_Known_ReturnsIt_Unknown_Is404()
    {
        await using var app = TestApp.Create(EngineWithSessions());
        using var client = app.CreateClient();

        var known = await Json.ReadAsync(await client.GetAsync("/v1/sessions/idle"));
        var unknown = await client.GetAsync("/v1/sessions/nope");

        Assert.Equal(40, known.GetProperty("tokens").GetInt32());
        Assert.Equal(3, known.GetProperty("blocks").GetInt32());
        Assert.False(known.GetProperty("active").GetBoolean());
        await Json.ProblemAsync(unknown, 404);
    }

    [Fact]
    public async Task DeleteSession_Idle_Deletes_Unknown_Is404_Active_Is409()
    {
        var engine = EngineWithSessions();
        await using var app = TestApp.Create(engine);
        using var client = app.CreateClient();

        var deleted = await client.DeleteAsync("/v1/sessions/idle");
        var unknown = await client.DeleteAsync("/v1/sessions/idle");
        var busy = await client.DeleteAsync("/v1/sessions/busy");

        Assert.True((await Json.ReadAsync(deleted)).GetProperty("deleted").GetBoolean());
        await Json.ProblemAsync(unknown, 404);
        await Json.ProblemAsync(busy, 409);
        Assert.True(engine.Sessions.ContainsKey("busy"));
    }
}
