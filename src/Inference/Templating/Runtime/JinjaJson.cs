using System.Globalization;
using System.Text;

namespace GqaService.Inference.Templating.Runtime;

/// <summary>
/// <c>tojson</c> as Hugging Face renders it (Python's <c>json.dumps(..., ensure_ascii=False)</c> layout): keys in
/// insertion order, <c>", "</c>/<c>": "</c> separators, non-ASCII text kept unless <c>ensure_ascii</c>, and with an
/// indent each element on its own line.
/// </summary>
internal static class JinjaJson
{
    public static string Serialize(object? value, JinjaJsonOptions options, bool undefinedAsNull = true)
    {
        var output = new StringBuilder();
        Write(output, value, options, 0, undefinedAsNull);
        return output.ToString();
    }

    private static void Write(StringBuilder output, object? value, JinjaJsonOptions options, int depth, bool undefinedAsNull)
    {
        switch (value)
        {
            case null:
                output.Append("null");
                return;
            case JinjaUndefined:
                output.Append(undefinedAsNull ? "null" : "undefined");
                return;
            case bool b:
                output.Append(b ? "true" : "false");
                return;
            case long l:
                output.Append(l.ToString(CultureInfo.InvariantCulture));
                return;
            case double d:
                output.Append(FormatNumber(d));
                return;
            case string s:
                WriteString(output, s, options.EnsureAscii);
                return;
            case List<object?> list:
                WriteContainer(output, '[', ']', list.Select(item => ((string?)null, item)).ToList(), options, depth, undefinedAsNull);
                return;
            case OrderedDictionary<string, object?> map:
                WriteContainer(output, '{', '}', Entries(map, options), options, depth, undefinedAsNull);
                return;
            case JinjaNamespace ns:
                WriteContainer(output, '{', '}', Entries(ns.Attributes, options), options, depth, undefinedAsNull);
                return;
            default:
                throw new TemplateRuntimeError($"cannot convert {JinjaValues.TypeName(value)} to JSON");
        }
    }

    private static List<(string? Key, object? Value)> Entries(OrderedDictionary<string, object?> map, JinjaJsonOptions options)
    {
        IEnumerable<KeyValuePair<string, object?>> entries = map;
        if (options.SortKeys)
        {
            entries = entries.OrderBy(entry => entry.Key, StringComparer.Ordinal);
        }
        return entries.Select(entry => ((string?)entry.Key, entry.Value)).ToList();
    }

    private static void WriteContainer(StringBuilder output, char open, char close, List<(string? Key, object? Value)> items,
        JinjaJsonOptions options, int depth, bool undefinedAsNull)
    {
        output.Append(open);
        var indented = options.Indent is > 0 && items.Count > 0;
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                output.Append(options.ItemSeparator);
            }
            if (indented)
            {
                output.Append('\n').Append(' ', options.Indent!.Value * (depth + 1));
            }
            if (items[i].Key is { } key)
            {
                WriteString(output, key, options.EnsureAscii);
                output.Append(options.KeySeparator);
            }
            Write(output, items[i].Value, options, depth + 1, undefinedAsNull);
        }
        if (indented)
        {
            output.Append('\n').Append(' ', options.Indent!.Value * depth);
        }
        output.Append(close);
    }

    /// <summary>A JSON number as JavaScript writes one: integral values without a fraction.</summary>
    private static string FormatNumber(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return "null";
        }
        return value == Math.Floor(value) && Math.Abs(value) < 1e21
            ? value.ToString("F0", CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);
    }

    private static void WriteString(StringBuilder output, string text, bool ensureAscii)
    {
        output.Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"':
                    output.Append("\\\"");
                    break;
                case '\\':
                    output.Append("\\\\");
                    break;
                case '\b':
                    output.Append("\\b");
                    break;
                case '\f':
                    output.Append("\\f");
                    break;
                case '\n':
                    output.Append("\\n");
                    break;
                case '\r':
                    output.Append("\\r");
                    break;
                case '\t':
                    output.Append("\\t");
                    break;
                default:
                    var loneSurrogate = char.IsSurrogate(c) && !IsPairAt(text, i);
                    if (c < 0x20 || loneSurrogate || (ensureAscii && c >= 0x7f))
                    {
                        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        output.Append(c);
                    }
                    break;
            }
        }
        output.Append('"');
    }

    private static bool IsPairAt(string text, int index) =>
        char.IsHighSurrogate(text[index])
            ? index + 1 < text.Length && char.IsLowSurrogate(text[index + 1])
            : index > 0 && char.IsHighSurrogate(text[index - 1]);
}
