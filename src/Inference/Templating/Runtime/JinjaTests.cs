namespace GqaService.Inference.Templating.Runtime;

/// <summary>The tests of <c>x is name</c> / <c>x is not name</c>, with the reference's type rules (<c>iterable</c> is a
/// list or a string; <c>mapping</c> a dict).</summary>
internal static class JinjaTests
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "true", "false", "mapping",
        "iterable", "sequence", "callable", "odd", "even", "lower", "upper", "equalto", "eq", "==", "ne", "!=", "sameas",
        "divisibleby", "lt", "<", "le", "<=", "gt", ">", "ge", ">=", "in",
    };

    public static bool Apply(string name, object? value, JinjaArguments arguments)
    {
        object? Argument() => arguments.Positional.Count > 0
            ? arguments.Positional[0]
            : throw new TemplateRuntimeError($"test '{name}' needs an argument");

        return name switch
        {
            "defined" => value is not JinjaUndefined,
            "undefined" => value is JinjaUndefined,
            "none" => value is null,
            "string" => value is string,
            "number" => value is long or double,
            "integer" => value is long,
            "float" => value is double,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "mapping" => value is OrderedDictionary<string, object?>,
            "iterable" => value is List<object?> or string,
            "sequence" => value is List<object?> or string or OrderedDictionary<string, object?>,
            "callable" => value is JinjaFunction,
            "odd" => Integer(value, name) % 2 != 0,
            "even" => Integer(value, name) % 2 == 0,
            "lower" => value is string s && s == s.ToLowerInvariant(),
            "upper" => value is string s && s == s.ToUpperInvariant(),
            "equalto" or "eq" or "==" => JinjaValues.AreEqual(value, Argument()),
            "ne" or "!=" => !JinjaValues.AreEqual(value, Argument()),
            "sameas" => SameAs(value, Argument()),
            "divisibleby" => Integer(Argument(), name) is var divisor && divisor != 0 && Integer(value, name) % divisor == 0,
            "lt" or "<" => JinjaValues.Compare(value, Argument()) < 0,
            "le" or "<=" => JinjaValues.Compare(value, Argument()) <= 0,
            "gt" or ">" => JinjaValues.Compare(value, Argument()) > 0,
            "ge" or ">=" => JinjaValues.Compare(value, Argument()) >= 0,
            "in" => JinjaOperators.Contains(Argument(), value),
            _ => throw new TemplateRuntimeError($"unknown test '{name}'"),
        };
    }

    private static long Integer(object? value, string test) =>
        value as long? ?? throw new TemplateRuntimeError($"test '{test}' applies to integers, not {JinjaValues.TypeName(value)}");

    /// <summary>Python's <c>is</c>: the same singleton (none, true, false) or the same object.</summary>
    private static bool SameAs(object? value, object? other) => (value, other) switch
    {
        (null, null) => true,
        (bool a, bool b) => a == b,
        (long a, long b) => a == b,
        (string a, string b) => ReferenceEquals(a, b) || a == b,
        _ => ReferenceEquals(value, other),
    };
}
