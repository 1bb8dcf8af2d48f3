using System.Text.Json;
using static GqaService.Inference.Tests.Templating.TemplateRendering;

namespace GqaService.Inference.Tests.Templating;

public sealed class FilterTests
{
    [Theory]
    [InlineData("{{ '  x \\n' | trim }}|{{ 'abc' | length }}|{{ messages | length }}|{{ {'a': 1} | length }}", "x|3|4|1")]
    [InlineData("{{ 'ab' | upper }} {{ 'AB' | lower }} {{ 'ab cd' | title }} {{ 'aBC' | capitalize }}", "AB ab Ab Cd ABC")]
    [InlineData("{{ missing | default('d') }} {{ '' | default('d') }} {{ '' | default('d', true) }} {{ none | d('n') }}", "d  d ")]
    [InlineData("{{ ['a', 'b'] | join }} {{ ['a', 1] | join(', ') }} {{ [3, 1, 2] | first }} {{ [3, 1, 2] | last }} {{ 'xyz' | first }}", "ab a, 1 3 2 x")]
    [InlineData("{{ 'ab' | list }} {{ [1, 2] | reverse | list }} {{ 'a-a' | replace('a', 'b') }} {{ 1 | string }} {{ [1] | string }}", "[\"a\", \"b\"] [2, 1] b-b 1 [1]")]
    [InlineData("{{ [3, 1, 2] | sort }} {{ [1, 2, 1] | unique | list }} {{ '42' | int + 1 }} {{ -2 | abs }} {{ '1.5' | float }}", "[1, 2, 3] [1, 2] 43 2 1.5")]
    [InlineData("{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}", "a\n  b\n\n  c|  a\n  b")]
    public void Value_filters(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Fact]
    public void Selectattr_rejectattr_and_map_walk_lists_of_dicts()
    {
        const string Template = "{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}|"
            + "{{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='role') | list }}|"
            + "{{ (messages | selectattr('role', 'equalto', 'system') | list | last).content }}|"
            + "{{ ['a', 'b', 'a'] | reject('equalto', 'a') | list }}|{{ [' x', 'y '] | map('trim') | list }}";
        Assert.Equal("Hi,Bye|[\"system\", \"assistant\"]|Be brief.|[\"b\"]|[\"x\", \"y\"]", Render(Template));
    }

    [Fact]
    public void Tojson_writes_python_json_dumps_layout()
    {
        var tool = JsonDocument.Parse("""{"name": "get_weather", "parameters": {"type": "object", "required": ["city"], "n": 1.5, "flag": true, "none": null}, "text": "é \"q\" \n"}""").RootElement;
        var extra = Vars(("tool", tool));
        Assert.Equal("""{"name": "get_weather", "parameters": {"type": "object", "required": ["city"], "n": 1.5, "flag": true, "none": null}, "text": "é \"q\" \n"}""",
            Render("{{ tool | tojson }}", extra));
        Assert.Equal("{\n    \"name\": \"get_weather\",\n    \"parameters\": {\n        \"type\": \"object\",\n        \"required\": [\n            \"city\"\n        ],\n"
            + "        \"n\": 1.5,\n        \"flag\": true,\n        \"none\": null\n    },\n    \"text\": \"é \\\"q\\\" \\n\"\n}",
            Render("{{ tool | tojson(indent=4) }}", extra));
        Assert.Equal("""{"a":1,"b":"\u00e9"}""", Render("{{ {'b': 'é', 'a': 1} | tojson(separators=(',', ':'), sort_keys=true, ensure_ascii=true) }}"));
        Assert.Equal("[] {}", Render("{{ [] | tojson(indent=2) }} {{ {} | tojson(indent=2) }}"));
    }

    [Fact]
    public void Strftime_now_formats_the_clock_local_time()
    {
        var clock = new GqaService.Inference.Tests.Support.ManualTimeProvider(new DateTimeOffset(2026, 3, 7, 9, 5, 0, TimeSpan.Zero));
        var local = clock.GetLocalNow();
        var expected = $"{local.Day:00} {System.Globalization.CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedMonthName(local.Month)} {local.Year} {local.Hour:00}:{local.Minute:00} %";
        Assert.Equal(expected, Render("{{ strftime_now('%d %b %Y %H:%M %%') }}", clock: clock));
    }

    [Fact]
    public void Range_counts_like_python()
    {
        Assert.Equal("[0, 1, 2] [2, 4] [3, 2, 1]", Render("{{ range(3) }} {{ range(2, 6, 2) }} {{ range(3, 0, -1) }}"));
    }
}
