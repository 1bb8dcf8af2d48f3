using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace GqaService.Inference.Templating.Runtime;

/// <summary>
/// The value model: <c>null</c> (none), <see cref="JinjaUndefined"/>, <see cref="bool"/>, <see cref="long"/>,
/// <see cref="double"/>, <see cref="string"/>, <see cref="List{T}"/> of values, <see cref="OrderedDictionary{TKey,TValue}"/>
/// (string keys, insertion order kept, as JSON objects and Python dicts), <see cref="JinjaNamespace"/>,
/// <see cref="JinjaFunction"/>. Truthiness, printing and equality follow <c>@huggingface/jinja</c>, the reference the
/// tests compare against.
/// </summary>
internal static class JinjaValues
{
    /// <summary>Converts a CLR value handed in by the caller (strings, numbers, booleans, sequences, string-keyed
    /// dictionaries, <see cref="JsonElement"/>) into the value model.</summary>
    public static object? FromClr(object? value) => value switch
    {
        null => null,
        JinjaUndefined or JinjaNamespace or JinjaFunction => value,
        string or bool or long or double => value,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        uint u => (long)u,
        float f => (double)f,
        decimal m => (double)m,
        JsonElement json => FromJson(json),
        IDictionary<string, object?> map => ToDictionary(map),
        IReadOnlyDictionary<string, object?> map => ToDictionary(map),
        IEnumerable sequence => sequence.Cast<object?>().Select(FromClr).ToList(),
        _ => throw new ArgumentException($"A template value cannot be of type {value.GetType().Name}.", nameof(value)),
    };

    private static OrderedDictionary<string, object?> ToDictionary(IEnumerable<KeyValuePair<string, object?>> map)
    {
        var result = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, item) in map)
        {
            result[key] = FromClr(item);
        }
        return result;
    }

    private static object? FromJson(JsonElement json)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
                var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var property in json.EnumerateObject())
                {
                    map[property.Name] = FromJson(property.Value);
                }
                return map;
            case JsonValueKind.Array:
                return json.EnumerateArray().Select(FromJson).ToList();
            case JsonValueKind.String:
                return json.GetString();
            case JsonValueKind.Number:
                return json.TryGetInt64(out var integer) ? integer : json.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    public static bool IsTruthy(object? value) => value switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0 && !double.IsNaN(d),
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        OrderedDictionary<string, object?> map => map.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? value) => value is long or double;

    /// <summary>The text <c>{{ value }}</c> writes. None and undefined write nothing; lists and dicts write JSON.</summary>
    public static string ToOutput(object? value) => value switch
    {
        null or JinjaUndefined => "",
        _ => ToText(value),
    };

    /// <summary>The string form used by <c>~</c>, <c>string</c> and <c>+</c> with a string.</summary>
    public static string ToText(object? value) => value switch
    {
        null => "null",
        JinjaUndefined => "undefined",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d),
        List<object?> or OrderedDictionary<string, object?> or JinjaNamespace => JinjaJson.Serialize(value, JinjaJsonOptions.Compact, undefinedAsNull: false),
        JinjaFunction f => $"<function {f.Name}>",
        _ => value.ToString() ?? "",
    };

    /// <summary>Python's float repr for integral values ("1.0"), the shortest round-trip form otherwise.</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }
        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        if (value == Math.Floor(value) && Math.Abs(value) < 1e16)
        {
            return (value == 0 && double.IsNegative(value) ? "-0" : value.ToString("F0", CultureInfo.InvariantCulture)) + ".0";
        }
        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    public static string TypeName(object? value) => value switch
    {
        null => "none",
        JinjaUndefined => "undefined",
        bool => "boolean",
        long => "integer",
        double => "float",
        string => "string",
        List<object?> => "list",
        OrderedDictionary<string, object?> => "dict",
        JinjaNamespace => "namespace",
        JinjaFunction => "function",
        _ => value.GetType().Name,
    };

    /// <summary>
    /// <c>==</c> as the reference computes it, JavaScript's loose equality on the underlying values: numbers and booleans
    /// by numeric value, a string against a number or boolean by the string's numeric value (so <c>'' == false</c>, which
    /// decides whether Llama 2's template writes an empty system block), strings ordinally, none and undefined equal
    /// each other. Lists and dicts compare element by element (Python's rule; the reference compares identity).
    /// </summary>
    public static bool AreEqual(object? left, object? right)
    {
        if (left is null or JinjaUndefined)
        {
            return right is null or JinjaUndefined;
        }
        if (right is null or JinjaUndefined)
        {
            return false;
        }
        if (LooseNumber(left, right) is { } a && LooseNumber(right, left) is { } b)
        {
            return a == b;
        }
        return (left, right) switch
        {
            (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(pair => AreEqual(pair.First, pair.Second)),
            (OrderedDictionary<string, object?> x, OrderedDictionary<string, object?> y) =>
                x.Count == y.Count && x.All(entry => y.TryGetValue(entry.Key, out var other) && AreEqual(entry.Value, other)),
            _ => ReferenceEquals(left, right),
        };
    }

    /// <summary>The numeric value JavaScript's <c>==</c> uses for <paramref name="value"/> when compared with
    /// <paramref name="other"/>; null when the comparison is not numeric (two strings, or a non-primitive).</summary>
    private static double? LooseNumber(object? value, object? other)
    {
        if (value is string && other is string)
        {
            return null;
        }
        return value switch
        {
            string s when AsNumber(other) is not null => ParseJavaScriptNumber(s),
            _ => AsNumber(value) is { } number && (other is string || AsNumber(other) is not null) ? number : null,
        };
    }

    private static double ParseJavaScriptNumber(string text)
    {
        var trimmed = Trim(text);
        if (trimmed.Length == 0)
        {
            return 0;
        }
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;
    }

    /// <summary>Orders numbers (and booleans) by value and strings ordinally, as <c>&lt;</c> and <c>sort</c> do.</summary>
    public static int Compare(object? left, object? right)
    {
        if (AsNumber(left) is { } a && AsNumber(right) is { } b)
        {
            return a.CompareTo(b);
        }
        if (left is string x && right is string y)
        {
            return string.CompareOrdinal(x, y);
        }
        throw new TemplateRuntimeError($"cannot compare {TypeName(left)} with {TypeName(right)}");
    }

    public static double? AsNumber(object? value) => value switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => null,
    };

    /// <summary>The items a <c>for</c> loop walks: a list's elements, a dict's keys, a string's characters.</summary>
    public static List<object?> Iterate(object? value) => value switch
    {
        List<object?> list => list,
        OrderedDictionary<string, object?> map => map.Keys.Cast<object?>().ToList(),
        string s => Characters(s),
        _ => throw new TemplateRuntimeError($"{TypeName(value)} is not iterable"),
    };

    /// <summary>A string's characters as strings, a surrogate pair kept together (JavaScript's string iteration).</summary>
    public static List<object?> Characters(string text)
    {
        var result = new List<object?>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            result.Add(text.Substring(i, width));
            i += width - 1;
        }
        return result;
    }

    /// <summary>Whitespace as JavaScript's <c>trim</c> and <c>\s</c> see it: U+FEFF is, U+0085 is not.</summary>
    public static bool IsWhiteSpace(char c) => c != '\u0085' && (char.IsWhiteSpace(c) || c == '\uFEFF');

    public static string Trim(string text) => TrimEnd(TrimStart(text));

    public static string TrimStart(string text)
    {
        var start = 0;
        while (start < text.Length && IsWhiteSpace(text[start]))
        {
            start++;
        }
        return text[start..];
    }

    public static string TrimEnd(string text)
    {
        var end = text.Length;
        while (end > 0 && IsWhiteSpace(text[end - 1]))
        {
            end--;
        }
        return text[..end];
    }
}
