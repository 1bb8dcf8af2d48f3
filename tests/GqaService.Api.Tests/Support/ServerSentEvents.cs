using System.Text.Json;

namespace GqaService.Api.Tests.Support;

/// <summary>Parses a raw text/event-stream body strictly: every event must be exactly <c>data: payload</c> plus a blank line.</summary>
internal static class ServerSentEvents
{
    public static IReadOnlyList<string> Parse(string body)
    {
        Assert.EndsWith("\n\n", body);
        var events = body[..^2].Split("\n\n");
        foreach (var item in events)
        {
            Assert.StartsWith("data: ", item);
            Assert.DoesNotContain('\n', item);
        }
        return events.Select(e => e["data: ".Length..]).ToList();
    }

    /// <summary>The JSON payloads, asserting the stream ends with [DONE] and carries nothing after it.</summary>
    public static IReadOnlyList<JsonElement> Payloads(string body)
    {
        var events = Parse(body);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(1, events.Count(e => e == "[DONE]"));
        return events.Take(events.Count - 1).Select(e => JsonDocument.Parse(e).RootElement.Clone()).ToList();
    }
}
