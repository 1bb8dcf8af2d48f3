namespace GqaService.Inference.Templating.Runtime;

/// <summary>The evaluated arguments of a call, filter or test: positional in order, then keyword by name.</summary>
internal sealed record JinjaArguments(IReadOnlyList<object?> Positional, IReadOnlyDictionary<string, object?> Keyword)
{
    public static readonly JinjaArguments None = new([], new Dictionary<string, object?>());

    /// <summary>The argument at <paramref name="position"/>, else the keyword <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int position, string name, object? fallback)
    {
        if (position < Positional.Count)
        {
            return Positional[position];
        }
        return Keyword.TryGetValue(name, out var value) ? value : fallback;
    }

    public object? GetKeyword(string name, object? fallback) => Keyword.TryGetValue(name, out var value) ? value : fallback;

    public bool Has(int position, string name) => position < Positional.Count || Keyword.ContainsKey(name);
}
