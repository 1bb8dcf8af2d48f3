using System.Globalization;
using System.Text;

namespace GqaService.Inference.Templating.Runtime;

/// <summary>The filters of <c>value | name(arguments)</c> that chat templates use.</summary>
internal static class JinjaFilters
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        "trim", "length", "count", "tojson", "capitalize", "upper", "lower", "title", "default", "d", "join", "first",
        "last", "list", "replace", "string", "items", "selectattr", "rejectattr", "select", "reject", "map", "reverse",
        "sort", "unique", "int", "float", "abs", "indent", "safe", "dictsort",
    };

    public static object? Apply(string name, object? value, JinjaArguments arguments)
    {
        switch (name)
        {
            case "safe":
                return value;
            case "default" or "d":
                var useIfFalsy = arguments.Get(1, "boolean", false) is true;
                return value is JinjaUndefined || (useIfFalsy && !JinjaValues.IsTruthy(value)) ? arguments.Get(0, "default_value", "") : value;
            case "tojson":
                return ToJson(value, arguments);
            case "string":
                return value is JinjaUndefined ? "" : JinjaValues.ToText(value);
            case "length" or "count":
                return value switch
                {
                    string s => (long)s.Length,
                    List<object?> list => (long)list.Count,
                    OrderedDictionary<string, object?> map => (long)map.Count,
                    JinjaNamespace ns => (long)ns.Attributes.Count,
                    _ => throw Unsupported(name, value),
                };
            case "trim":
                return JinjaMethods.Invoke(Text(name, value), "strip", arguments);
            case "upper" or "lower" or "title" or "capitalize":
                return JinjaMethods.Invoke(Text(name, value), name, JinjaArguments.None);
            case "replace":
                return JinjaMethods.Replace(Text(name, value), arguments.Get(0, "old", null), arguments.Get(1, "new", null), arguments.Get(2, "count", null));
            case "indent":
                return Indent(Text(name, value), arguments);
            case "join":
                var separator = arguments.Get(0, "d", "") as string ?? throw new TemplateRuntimeError("join() separator must be a string");
                var joined = value is string chars ? JinjaValues.Characters(chars) : Sequence(name, value);
                if (arguments.Get(1, "attribute", null) is string joinAttribute)
                {
                    joined = joined.Select(item => Attribute(item, joinAttribute)).ToList();
                }
                return string.Join(separator, joined.Select(JinjaValues.ToOutput));
            case "first":
                return value is string first ? (first.Length > 0 ? JinjaValues.Characters(first)[0] : JinjaUndefined.Instance)
                    : Sequence(name, value) is { Count: > 0 } head ? head[0] : JinjaUndefined.Instance;
            case "last":
                return value is string last ? (last.Length > 0 ? JinjaValues.Characters(last)[^1] : JinjaUndefined.Instance)
                    : Sequence(name, value) is { Count: > 0 } tail ? tail[^1] : JinjaUndefined.Instance;
            case "list":
                return JinjaValues.Iterate(value).ToList();
            case "reverse":
                return value is string backwards
                    ? string.Concat(JinjaValues.Characters(backwards).Cast<string>().Reverse())
                    : Enumerable.Reverse(Sequence(name, value)).ToList();
            case "items":
                return value is OrderedDictionary<string, object?> entries ? JinjaMethods.Items(entries) : throw Unsupported(name, value);
            case "dictsort":
                return value is OrderedDictionary<string, object?> sortable
                    ? JinjaMethods.Items(sortable).OrderBy(pair => ((List<object?>)pair!)[0], Comparer<object?>.Create(JinjaValues.Compare)).ToList()
                    : throw Unsupported(name, value);
            case "selectattr" or "rejectattr":
                return SelectAttribute(Sequence(name, value), arguments, keep: name == "selectattr");
            case "select" or "reject":
                return Select(Sequence(name, value), arguments, keep: name == "select");
            case "map":
                return Map(Sequence(name, value), arguments);
            case "sort":
                return Sort(Sequence(name, value), arguments);
            case "unique":
                var unique = new List<object?>();
                foreach (var item in Sequence(name, value).Where(item => !unique.Any(seen => JinjaValues.AreEqual(seen, item))))
                {
                    unique.Add(item);
                }
                return unique;
            case "int":
                return ToInteger(value, arguments.Get(0, "default", 0L));
            case "float":
                return ToFloat(value, arguments.Get(0, "default", 0.0));
            case "abs":
                return value switch
                {
                    long l => (object)Math.Abs(l),
                    double d => Math.Abs(d),
                    _ => throw Unsupported(name, value),
                };
            default:
                throw new TemplateRuntimeError($"unknown filter '{name}'");
        }
    }

    private static TemplateRuntimeError Unsupported(string filter, object? value) =>
        new($"filter '{filter}' cannot be applied to {JinjaValues.TypeName(value)}");

    private static string Text(string filter, object? value) => value as string ?? throw Unsupported(filter, value);

    private static List<object?> Sequence(string filter, object? value) => value as List<object?> ?? throw Unsupported(filter, value);

    private static string ToJson(object? value, JinjaArguments arguments)
    {
        var indent = arguments.Get(0, "indent", null) switch
        {
            null => (int?)null,
            long n => (int)n,
            var other => throw new TemplateRuntimeError($"tojson indent must be an integer, not {JinjaValues.TypeName(other)}"),
        };
        (string, string)? separators = arguments.GetKeyword("separators", null) switch
        {
            null => null,
            List<object?> { Count: 2 } pair when pair[0] is string item && pair[1] is string key => (item, key),
            _ => throw new TemplateRuntimeError("tojson separators must be a pair of strings"),
        };
        var options = JinjaJsonOptions.For(indent, separators, arguments.GetKeyword("ensure_ascii", false) is true,
            arguments.GetKeyword("sort_keys", false) is true);
        return JinjaJson.Serialize(value, options);
    }

    private static string Indent(string text, JinjaArguments arguments)
    {
        var width = arguments.Get(0, "width", 4L) switch
        {
            long n => new string(' ', (int)n),
            string s => s,
            _ => throw new TemplateRuntimeError("indent width must be an integer or a string"),
        };
        var indentFirst = arguments.Get(1, "first", false) is true;
        var indentBlank = arguments.Get(2, "blank", false) is true;
        var lines = text.Split('\n');
        var output = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0)
            {
                output.Append('\n');
            }
            if ((i > 0 || indentFirst) && (lines[i].Length > 0 || indentBlank))
            {
                output.Append(width);
            }
            output.Append(lines[i]);
        }
        return output.ToString();
    }

    /// <summary>An attribute of an item, a dotted path walking dicts and list indices (<c>"function.name"</c>).</summary>
    public static object? Attribute(object? item, string path)
    {
        foreach (var part in path.Split('.'))
        {
            item = item switch
            {
                OrderedDictionary<string, object?> map => map.TryGetValue(part, out var value) ? value : JinjaUndefined.Instance,
                JinjaNamespace ns => ns.Attributes.TryGetValue(part, out var value) ? value : JinjaUndefined.Instance,
                List<object?> list when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Count => list[index],
                _ => JinjaUndefined.Instance,
            };
        }
        return item;
    }

    private static bool Passes(object? candidate, string? test, JinjaArguments arguments, int firstTestArgument) =>
        test is null
            ? JinjaValues.IsTruthy(candidate)
            : JinjaTests.Apply(test, candidate, new JinjaArguments(arguments.Positional.Skip(firstTestArgument).ToList(), arguments.Keyword));

    private static List<object?> SelectAttribute(List<object?> items, JinjaArguments arguments, bool keep)
    {
        if (arguments.Get(0, "attribute", null) is not string attribute)
        {
            throw new TemplateRuntimeError("selectattr/rejectattr need an attribute name");
        }
        var test = arguments.Positional.Count > 1 ? arguments.Positional[1] as string : null;
        return items.Where(item =>
        {
            var candidate = Attribute(item, attribute);
            var passes = candidate is not JinjaUndefined && Passes(candidate, test, arguments, 2);
            return passes == keep;
        }).ToList();
    }

    private static List<object?> Select(List<object?> items, JinjaArguments arguments, bool keep)
    {
        var test = arguments.Positional.Count > 0 ? arguments.Positional[0] as string : null;
        return items.Where(item => Passes(item, test, arguments, 1) == keep).ToList();
    }

    private static List<object?> Map(List<object?> items, JinjaArguments arguments)
    {
        if (arguments.Keyword.TryGetValue("attribute", out var attribute))
        {
            if (attribute is not string path)
            {
                throw new TemplateRuntimeError("map attribute must be a string");
            }
            var fallback = arguments.Keyword.TryGetValue("default", out var given) ? given : JinjaUndefined.Instance;
            return items.Select(item => Attribute(item, path) is JinjaUndefined ? fallback : Attribute(item, path)).ToList();
        }
        if (arguments.Positional.Count > 0 && arguments.Positional[0] is string filter && Known.Contains(filter) && filter != "map")
        {
            var rest = new JinjaArguments(arguments.Positional.Skip(1).ToList(), arguments.Keyword);
            return items.Select(item => Apply(filter, item, rest)).ToList();
        }
        throw new TemplateRuntimeError("map needs attribute= or the name of a supported filter");
    }

    private static List<object?> Sort(List<object?> items, JinjaArguments arguments)
    {
        var reverse = arguments.Get(0, "reverse", false) is true;
        var caseSensitive = arguments.Get(1, "case_sensitive", false) is true;
        var attribute = arguments.Get(2, "attribute", null) as string;
        object? Key(object? item)
        {
            var key = attribute is null ? item : Attribute(item, attribute);
            return !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
        }
        var sorted = items.OrderBy(Key, Comparer<object?>.Create(JinjaValues.Compare)).ToList();
        if (reverse)
        {
            sorted.Reverse();
        }
        return sorted;
    }

    private static object? ToInteger(object? value, object? fallback) => value switch
    {
        long l => l,
        double d => (long)Math.Truncate(d),
        bool b => b ? 1L : 0L,
        string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) => parsed,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var real) => (long)Math.Truncate(real),
        _ => fallback,
    };

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        long l => (double)l,
        double d => d,
        bool b => b ? 1.0 : 0.0,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => fallback,
    };
}
