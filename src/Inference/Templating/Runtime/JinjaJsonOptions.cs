namespace GqaService.Inference.Templating.Runtime;

/// <summary>The arguments of <c>tojson</c>: <c>indent</c>, <c>separators</c>, <c>ensure_ascii</c>, <c>sort_keys</c>.</summary>
internal sealed record JinjaJsonOptions(int? Indent, string ItemSeparator, string KeySeparator, bool EnsureAscii, bool SortKeys)
{
    /// <summary>Python's <c>json.dumps</c> defaults: <c>", "</c> and <c>": "</c> on one line.</summary>
    public static readonly JinjaJsonOptions Compact = new(null, ", ", ": ", false, false);

    /// <summary>Python's defaults for the given indent: with an indent the item separator loses its space.</summary>
    public static JinjaJsonOptions For(int? indent, (string Item, string Key)? separators, bool ensureAscii, bool sortKeys)
    {
        var (item, key) = separators ?? (indent is > 0 ? (",", ": ") : (", ", ": "));
        return new JinjaJsonOptions(indent, item, key, ensureAscii, sortKeys);
    }
}
