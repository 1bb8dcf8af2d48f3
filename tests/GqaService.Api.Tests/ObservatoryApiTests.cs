using System.Net;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>The observatory's HTTP surface around the fake engine: keys, the page's files, the redirect, the Swagger entries.</summary>
public sealed class ObservatoryApiTests
{
    [Fact]
    public async Task WithApiKeys_EventsAndBlocksNeedAKey_ThePageDoesNot()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine(), new Dictionary<string, string?> { ["Api:ApiKeys:0"] = "k1" });
        using var client = app.CreateClient();

        using var events = await client.GetAsync("/v1/events", HttpCompletionOption.ResponseHeadersRead);
        using var blocks = await client.GetAsync("/v1/kv/blocks");
        using var page = await client.GetAsync("/ui");
        using var script = await client.GetAsync("/ui/observatory.js");
        client.DefaultRequestHeaders.Authorization = new("Bearer", "k1");
        using var authorised = await client.GetAsync("/v1/kv/blocks");

        Assert.Equal(HttpStatusCode.Unauthorized, events.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, blocks.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/ui/observatory.js", await page.Content.ReadAsStringAsync());
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, authorised.StatusCode);
    }

    [Fact]
    public async Task TheRoot_RedirectsToThePage_AndAnUnknownFileIs404()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var root = await client.GetAsync("/");
        using var missing = await client.GetAsync("/ui/secrets.json");

        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/ui", root.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Events_WithABufferOutOfRange_Is400NamingBuffer()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/v1/events?buffer=0");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"buffer\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheSwaggerDocument_DescribesEventsBlocksAndCapacity()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        var document = await client.GetStringAsync("/swagger/v1/swagger.json");

        Assert.Contains("\"/v1/events\"", document);
        Assert.Contains("text/event-stream", document);
        Assert.Contains("\"/v1/kv/blocks\"", document);
        Assert.Contains("\"/v1/capacity\"", document);
        Assert.DoesNotContain("\"/ui\"", document);
    }
}
