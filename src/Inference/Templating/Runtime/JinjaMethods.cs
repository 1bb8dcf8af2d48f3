using System.Text;
using System.Text.RegularExpressions;

namespace GqaService.Inference.Templating.Runtime;

/// <summary>
/// The Python methods chat templates call on values: string <c>strip</c>, <c>lstrip</c>, <c>rstrip</c> (whitespace),
/// <c>startswith</c>, <c>endswith</c> (a string or a list of them), <c>split</c>, <c>upper</c>,
/// <c>lower</c>, <c>title</c>, <c>capitalize</c>, <c>replace</c>; dict <c>get</c>, <c>items</c>, <c>keys</c>, <c>values</c>.
/// </summary>
internal static partial class JinjaMethods
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "upper", "lower", "title", "capitalize", "replace",
        "get", "items", "keys", "values",
    };

    public static object? Invoke(object? target, string name, JinjaArguments arguments) => target switch
    {
        string text => InvokeOnString(text, name, arguments),
        OrderedDictionary<string, object?> map => InvokeOnDict(map, name, arguments),
        _ => throw new TemplateRuntimeError($"{JinjaValues.TypeName(target)} has no method '{name}'"),
    };

    private static object? InvokeOnString(string text, string name, JinjaArguments arguments)
    {
        switch (name)
        {
            case "strip":
                return Strip(text, start: true, end: true);
            case "lstrip":
                return Strip(text, start: true, end: false);
            case "rstrip":
                return Strip(text, start: false, end: true);
            case "upper":
                return text.ToUpperInvariant();
            case "lower":
                return text.ToLowerInvariant();
            case "title":
                return Title(text);
            case "capitalize":
                return Capitalize(text);
            case "startswith":
                return Affix(text, arguments, name, (s, affix) => s.StartsWith(affix, StringComparison.Ordinal));
            case "endswith":
                return Affix(text, arguments, name, (s, affix) => s.EndsWith(affix, StringComparison.Ordinal));
            case "split":
                return Split(text, arguments.Get(0, "sep", null), arguments.Get(1, "maxsplit", -1L));
            case "replace":
                return Replace(text, arguments.Get(0, "old", null), arguments.Get(1, "new", null), arguments.Get(2, "count", null));
            default:
                throw new TemplateRuntimeError($"string has no method '{name}'");
        }
    }

    private static object? InvokeOnDict(OrderedDictionary<string, object?> map, string name, JinjaArguments arguments)
    {
        switch (name)
        {
            case "get":
                if (arguments.Get(0, "key", null) is not string key)
                {
                    throw new TemplateRuntimeError("dict.get() takes a string key");
                }
                return map.TryGetValue(key, out var value) ? value : arguments.Get(1, "default", null);
            case "items":
                return Items(map);
            case "keys":
                return map.Keys.Cast<object?>().ToList();
            case "values":
                return map.Values.ToList();
            default:
                throw new TemplateRuntimeError($"dict has no method '{name}'");
        }
    }

    public static List<object?> Items(OrderedDictionary<string, object?> map) =>
        map.Select(entry => (object?)new List<object?> { entry.Key, entry.Value }).ToList();

    /// <summary>
    /// Removes whitespace, whatever characters are given: the reference's <c>strip</c> ignores its argument, and matching
    /// it byte for byte matters more here than Python's rule (which Qwen3's <c>content.lstrip('\n')</c> would otherwise
    /// make differ when an assistant reply starts with a newline and spaces).
    /// </summary>
    private static string Strip(string text, bool start, bool end) =>
        start && end ? JinjaValues.Trim(text) : start ? JinjaValues.TrimStart(text) : JinjaValues.TrimEnd(text);

    /// <summary>Upper-cases the first letter of each word (after a non-word character), leaving the rest as it is.</summary>
    public static string Title(string text) => WordStart().Replace(text, match => match.Value.ToUpperInvariant());

    /// <summary>Upper-cases the first character, leaving the rest as it is.</summary>
    public static string Capitalize(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static bool Affix(string text, JinjaArguments arguments, string name, Func<string, string, bool> matches)
    {
        switch (arguments.Get(0, "prefix", null))
        {
            case string affix:
                return matches(text, affix);
            case List<object?> affixes:
                return affixes.Any(item => item is string affix
                    ? matches(text, affix)
                    : throw new TemplateRuntimeError($"{name}() takes strings"));
            default:
                throw new TemplateRuntimeError($"{name}() takes a string or a list of strings");
        }
    }

    /// <summary>Python's <c>str.split(sep=None, maxsplit=-1)</c>.</summary>
    public static List<object?> Split(string text, object? separator, object? maxSplit)
    {
        if (maxSplit is not long limit)
        {
            throw new TemplateRuntimeError("split() maxsplit must be an integer");
        }
        var parts = new List<object?>();
        if (separator is null or JinjaUndefined)
        {
            var rest = JinjaValues.TrimStart(text);
            while (rest.Length > 0)
            {
                if (limit >= 0 && parts.Count >= limit)
                {
                    parts.Add(rest);
                    break;
                }
                var end = 0;
                while (end < rest.Length && !JinjaValues.IsWhiteSpace(rest[end]))
                {
                    end++;
                }
                parts.Add(rest[..end]);
                rest = JinjaValues.TrimStart(rest[end..]);
            }
            return parts;
        }
        if (separator is not string sep)
        {
            throw new TemplateRuntimeError("split() separator must be a string");
        }
        if (sep.Length == 0)
        {
            throw new TemplateRuntimeError("split() separator is empty");
        }
        var pieces = limit < 0 ? text.Split(sep) : text.Split(sep, (int)Math.Min(limit + 1, int.MaxValue));
        parts.AddRange(pieces);
        return parts;
    }

    public static string Replace(string text, object? oldValue, object? newValue, object? count)
    {
        if (oldValue is not string old || newValue is not string replacement)
        {
            throw new TemplateRuntimeError("replace() takes two strings");
        }
        var remaining = count switch
        {
            null or JinjaUndefined => long.MaxValue,
            long n when n < 0 => long.MaxValue,
            long n => n,
            _ => throw new TemplateRuntimeError("replace() count must be an integer"),
        };
        if (old.Length == 0)
        {
            // Python inserts the replacement between characters and at both ends.
            var spread = new StringBuilder();
            foreach (var character in JinjaValues.Characters(text).Cast<string>().Append(""))
            {
                if (remaining-- > 0)
                {
                    spread.Append(replacement);
                }
                spread.Append(character);
            }
            return spread.ToString();
        }
        var output = new StringBuilder();
        var position = 0;
        while (remaining-- > 0)
        {
            var found = text.IndexOf(old, position, StringComparison.Ordinal);
            if (found < 0)
            {
                break;
            }
            output.Append(text, position, found - position).Append(replacement);
            position = found + old.Length;
        }
        return output.Append(text, position, text.Length - position).ToString();
    }

    [GeneratedRegex("(?<![A-Za-z0-9_])[A-Za-z0-9_]")]
    private static partial Regex WordStart();
}
