using System.Globalization;
using System.Text.RegularExpressions;

namespace GqaService.Api.Tests.Support;

/// <summary>A strict-enough parser of the Prometheus text exposition format: comments, samples, blank lines, nothing else.</summary>
internal static partial class PrometheusText
{
    public sealed record Sample(string Name, string Labels, double Value);

    public static IReadOnlyList<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal)
                || line.StartsWith("# UNIT ", StringComparison.Ordinal) || line == "# EOF")
            {
                continue;
            }
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample line: '{line}'");
            var value = match.Groups["value"].Value;
            samples.Add(new Sample(match.Groups["name"].Value, match.Groups["labels"].Value,
                value switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN, _ => double.Parse(value, CultureInfo.InvariantCulture) }));
        }
        return samples;
    }

    // Label values are quoted and may hold any character, '}' included (http_route="/v1/sessions/{id}").
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\]|\\.)*"",?)*)\})? (?<value>\S+)( \d+)?$")]
    private static partial Regex SampleLine();
}
