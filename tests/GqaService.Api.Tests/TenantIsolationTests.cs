using System.Net;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>
/// With API keys on, each key is a tenant of the real engine: a session belongs to the key that created it, and another key
/// can neither list, read, continue nor delete it (404 exactly as for an id nobody uses). One rule per test; every test uses
/// its own session id, so they share one server.
/// </summary>
public sealed class TenantIsolationTests(TwoKeyEngineServer server) : IClassFixture<TwoKeyEngineServer>
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378, 5, 9, 300, 44, 12, 77];

    [Fact]
    public async Task List_AnotherKeysSessions_AreNotListed()
    {
        using var a = server.Client(TwoKeyEngineServer.KeyA);
        using var b = server.Client(TwoKeyEngineServer.KeyB);
        await CreateSessionAsync(a, "list-rule");

        var listedForA = await SessionIdsAsync(a, "/v1/sessions");
        var listedForB = await SessionIdsAsync(b, "/v1/sessions");
        var memoryForB = await SessionIdsAsync(b, "/v1/memory");

        Assert.Contains("list-rule", listedForA);
        Assert.DoesNotContain("list-rule", listedForB);
        Assert.DoesNotContain("list-rule", memoryForB);
        await DeleteAsync(a, "list-rule");
    }

    [Fact]
    public async Task Read_AnotherKeysSession_Is404LikeAnUnknownId()
    {
        using var a = server.Client(TwoKeyEngineServer.KeyA);
        using var b = server.Client(TwoKeyEngineServer.KeyB);
        await CreateSessionAsync(a, "read-rule");

        var theirs = await Json.ProblemAsync(await b.GetAsync("/v1/sessions/read-rule"), 404);
        var nobodys = await Json.ProblemAsync(await b.GetAsync("/v1/sessions/read-rule-nobody"), 404);

        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/sessions/read-rule")).StatusCode);
        Assert.Equal(nobodys.GetProperty("error").GetProperty("code").GetString(), theirs.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(nobodys.GetProperty("title").GetString(), theirs.GetProperty("title").GetString());
        await DeleteAsync(a, "read-rule");
    }

    [Fact]
    public async Task Continue_AnotherKeysSessionId_GetsASessionOfItsOwn_AndLeavesTheFirstIntact()
    {
        using var a = server.Client(TwoKeyEngineServer.KeyA);
        using var b = server.Client(TwoKeyEngineServer.KeyB);
        var first = await CreateSessionAsync(a, "continue-rule");
        var aTokens = (await Json.ReadAsync(await a.GetAsync("/v1/sessions/continue-rule"))).GetProperty("tokens").GetInt32();
        int[] nextTurn = [.. Prompt, .. RealModelTests.TokenIds(first), 13];

        // B names A's session id with A's next turn: it must not extend (nor truncate) A's session.
        await RealModelTests.CompleteAsync(b, new { prompt = new[] { 1, 2, 3 }, max_tokens = 2, temperature = 0, session_id = "continue-rule" });
        var aAfter = (await Json.ReadAsync(await a.GetAsync("/v1/sessions/continue-rule"))).GetProperty("tokens").GetInt32();
        var bSession = (await Json.ReadAsync(await b.GetAsync("/v1/sessions/continue-rule"))).GetProperty("tokens").GetInt32();
        var aNext = await RealModelTests.CompleteAsync(a, new { prompt = nextTurn, max_tokens = 2, temperature = 0, session_id = "continue-rule" });

        Assert.Equal(aTokens, aAfter);
        Assert.Equal(3 + 2 - 1, bSession); // B's own: its 3-token prompt and output (the last sampled token is never computed)
        Assert.Equal(aTokens, aNext.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        await DeleteAsync(a, "continue-rule");
        await DeleteAsync(b, "continue-rule");
    }

    [Fact]
    public async Task Delete_AnotherKeysSession_Is404AndKeepsIt()
    {
        using var a = server.Client(TwoKeyEngineServer.KeyA);
        using var b = server.Client(TwoKeyEngineServer.KeyB);
        await CreateSessionAsync(a, "delete-rule");

        var byB = await b.DeleteAsync("/v1/sessions/delete-rule");

        await Json.ProblemAsync(byB, 404);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/sessions/delete-rule")).StatusCode);
        await DeleteAsync(a, "delete-rule");
        await Json.ProblemAsync(await a.GetAsync("/v1/sessions/delete-rule"), 404);
    }

    [Fact]
    public async Task PrefixCache_AnotherKeysPrompt_IsNoOracle_ButTheSameKeyReusesIt()
    {
        using var a = server.Client(TwoKeyEngineServer.KeyA);
        using var b = server.Client(TwoKeyEngineServer.KeyB);
        // A fresh 40-token prompt nobody else sends: full blocks of it can only be cached by A's request.
        int[] secret = [1, .. Enumerable.Range(0, 39).Select(_ => Random.Shared.Next(3, 500))];
        await RealModelTests.CompleteAsync(a, new { prompt = secret, max_tokens = 1, temperature = 0 });

        var byB = await RealModelTests.CompleteAsync(b, new { prompt = secret, max_tokens = 1, temperature = 0 });
        var byA = await RealModelTests.CompleteAsync(a, new { prompt = secret, max_tokens = 1, temperature = 0 });

        Assert.Equal(0, CachedTokens(byB));
        Assert.True(CachedTokens(byA) >= 16, $"A's repeat should reuse its own cached blocks (cached {CachedTokens(byA)})");
    }

    private static int CachedTokens(System.Text.Json.JsonElement response) =>
        response.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32();

    [Fact]
    public async Task Observatory_AnotherKeysSessionIds_AreNotShown_InTheBlockMap()
    {
        using var a = server.Client(TwoKeyEngineServer.KeyA);
        using var b = server.Client(TwoKeyEngineServer.KeyB);
        await CreateSessionAsync(a, "observed-rule");
        var sessionBlocks = (await Json.ReadAsync(await a.GetAsync("/v1/sessions/observed-rule"))).GetProperty("blocks").GetInt32();

        // The map is rebuilt a few times a second from the engine thread: poll it (bounded) until it lists A's session.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var forA = await SessionOwnersAsync(a);
        while (!forA.Contains("observed-rule") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            forA = await SessionOwnersAsync(a);
        }
        var forB = await SessionOwnersAsync(b);

        Assert.Contains("observed-rule", forA);
        Assert.True(sessionBlocks > 0);
        Assert.DoesNotContain(forB, owner => owner.Contains("observed-rule", StringComparison.Ordinal));
        Assert.Contains(forB, owner => owner == "(another tenant)");
        await DeleteAsync(a, "observed-rule");
    }

    private static async Task<List<string>> SessionOwnersAsync(HttpClient client)
    {
        var map = await Json.ReadAsync(await client.GetAsync("/v1/kv/blocks"));
        return [.. map.GetProperty("owners").EnumerateArray()
            .Where(o => o.GetProperty("kind").GetString() == "session")
            .Select(o => o.GetProperty("id").GetString()!)];
    }

    private static async Task<System.Text.Json.JsonElement> CreateSessionAsync(HttpClient client, string id) =>
        await RealModelTests.CompleteAsync(client, new { prompt = Prompt, max_tokens = 8, temperature = 0, return_token_ids = true, session_id = id });

    private static async Task DeleteAsync(HttpClient client, string id) =>
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/v1/sessions/{id}")).StatusCode);

    private static async Task<List<string>> SessionIdsAsync(HttpClient client, string path)
    {
        var body = await Json.ReadAsync(await client.GetAsync(path));
        var sessions = body.TryGetProperty("data", out var data) ? data : body.GetProperty("sessions");
        return [.. sessions.EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }
}
