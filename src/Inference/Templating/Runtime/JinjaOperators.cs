namespace GqaService.Inference.Templating.Runtime;

/// <summary>
/// Binary and unary operators (<c>and</c>/<c>or</c> short-circuit in the evaluator). Integer arithmetic stays integer
/// except <c>/</c>; <c>+</c> joins strings (a non-string operand is converted), lists concatenate; <c>~</c> converts
/// both sides; <c>in</c> works on lists (by value), strings (substring) and dicts (keys). Operations on none or
/// undefined fail, except <c>==</c>, <c>!=</c> and <c>x in undefined</c> (false).
/// </summary>
internal static class JinjaOperators
{
    public static object? Binary(string op, object? left, object? right)
    {
        switch (op)
        {
            case "==":
                return JinjaValues.AreEqual(left, right);
            case "!=":
                return !JinjaValues.AreEqual(left, right);
            case "~":
                return JinjaValues.ToText(left is JinjaUndefined ? "" : left) + JinjaValues.ToText(right is JinjaUndefined ? "" : right);
        }
        if (right is JinjaUndefined && op is "in" or "not in")
        {
            return op == "not in";
        }
        if (left is null or JinjaUndefined || right is null or JinjaUndefined)
        {
            throw new TemplateRuntimeError($"'{op}' cannot be applied to {JinjaValues.TypeName(left)} and {JinjaValues.TypeName(right)}");
        }
        switch (op)
        {
            case "in":
                return Contains(right, left);
            case "not in":
                return !Contains(right, left);
            case "<":
                return JinjaValues.Compare(left, right) < 0;
            case ">":
                return JinjaValues.Compare(left, right) > 0;
            case "<=":
                return JinjaValues.Compare(left, right) <= 0;
            case ">=":
                return JinjaValues.Compare(left, right) >= 0;
        }
        if (left is long a && right is long b)
        {
            return IntegerArithmetic(op, a, b);
        }
        if (JinjaValues.IsNumber(left) && JinjaValues.IsNumber(right))
        {
            return FloatArithmetic(op, Convert.ToDouble(left), Convert.ToDouble(right));
        }
        if (op == "+" && left is List<object?> first && right is List<object?> second)
        {
            return first.Concat(second).ToList();
        }
        if (op == "+" && (left is string || right is string))
        {
            return JinjaValues.ToText(left) + JinjaValues.ToText(right);
        }
        if (op == "*" && left is string repeated && right is long times)
        {
            return string.Concat(Enumerable.Repeat(repeated, (int)Math.Max(0, times)));
        }
        throw new TemplateRuntimeError($"'{op}' cannot be applied to {JinjaValues.TypeName(left)} and {JinjaValues.TypeName(right)}");
    }

    private static object IntegerArithmetic(string op, long a, long b)
    {
        switch (op)
        {
            case "+":
                return a + b;
            case "-":
                return a - b;
            case "*":
                return a * b;
            case "/":
                return (double)a / b;
            case "**":
                return b >= 0 ? (object)(long)Math.Pow(a, b) : Math.Pow(a, b);
        }
        if (b == 0)
        {
            throw new TemplateRuntimeError($"integer division or modulo by zero ('{op}')");
        }
        return op switch
        {
            "//" => (long)Math.Floor((double)a / b),
            "%" => a % b,
            _ => throw new TemplateRuntimeError($"'{op}' cannot be applied to integers"),
        };
    }

    private static object FloatArithmetic(string op, double a, double b) => op switch
    {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => a / b,
        "//" => Math.Floor(a / b),
        "%" => a % b,
        "**" => Math.Pow(a, b),
        _ => throw new TemplateRuntimeError($"'{op}' cannot be applied to numbers"),
    };

    /// <summary><c>item in container</c>.</summary>
    public static bool Contains(object? container, object? item) => container switch
    {
        List<object?> list => list.Any(element => JinjaValues.AreEqual(element, item)),
        string text when item is string part => text.Contains(part, StringComparison.Ordinal),
        OrderedDictionary<string, object?> map when item is string key => map.ContainsKey(key),
        JinjaUndefined => false,
        _ => throw new TemplateRuntimeError($"'in' cannot look for {JinjaValues.TypeName(item)} in {JinjaValues.TypeName(container)}"),
    };

    public static object? Unary(string op, object? operand)
    {
        if (op == "not")
        {
            return !JinjaValues.IsTruthy(operand);
        }
        var sign = op == "-" ? -1 : 1;
        return operand switch
        {
            // Each arm boxed on its own: a switch of long and double arms would make every result a double.
            long l => (object)(sign * l),
            double d => sign * d,
            bool b => (object)(sign * (b ? 1L : 0L)),
            _ => throw new TemplateRuntimeError($"unary '{op}' cannot be applied to {JinjaValues.TypeName(operand)}"),
        };
    }
}
