using System.Globalization;

namespace GqaService.Benchmarks;

/// <summary>--name value pairs.</summary>
internal sealed class BenchmarkArguments(string[] args)
{
    public string? Text(string name) => Find(name);

    public int Int(string name, int fallback) => Find(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public int[] Ints(string name, int[] fallback) =>
        Find(name) is { } value ? value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray() : fallback;

    private string? Find(string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
