using System.Net;
using System.Net.Http.Headers;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>The rate limit partitions by the authenticated tenant (keys on) or the client address (keys off), never by what a client merely sends.</summary>
public sealed class RateLimitPartitionTests
{
    [Fact]
    public async Task KeysOff_InventedBearerTokens_ShareTheAddressesWindow()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), new Dictionary<string, string?> { ["Api:RateLimit:PermitsPerMinute"] = "5" });
        using var client = app.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"invented-{i}");
            var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("rate_limit_error", (await Json.ProblemAsync(response, 429)).GetProperty("error").GetProperty("type").GetString());
            }
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(15, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task KeysOn_EachKeyHasItsWindow_AndAnInventedTokenIsRefusedNotGivenOne()
    {
        var settings = new Dictionary<string, string?> { ["Api:ApiKeys:0"] = "k-one", ["Api:ApiKeys:1"] = "k-two", ["Api:RateLimit:PermitsPerMinute"] = "2" };
        await using var app = TestApp.Create(new FakeInferenceEngine(), settings);
        using var client = app.CreateClient();

        async Task<HttpStatusCode> Get(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return (await client.SendAsync(request)).StatusCode;
        }

        HttpStatusCode[] one = [await Get("k-one"), await Get("k-one"), await Get("k-one")];
        var invented = await Get("k-three");
        var two = await Get("k-two");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], one);
        Assert.Equal(HttpStatusCode.Unauthorized, invented);
        Assert.Equal(HttpStatusCode.OK, two);
    }
}
