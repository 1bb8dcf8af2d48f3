using System.Globalization;
using System.Text;

namespace GqaService.Inference.Templating.Runtime;

/// <summary>
/// The global functions a template may call: <c>raise_exception(message)</c> (Hugging Face's, fails the render with the
/// template's message), <c>namespace(...)</c>, <c>range(...)</c>, <c>dict(...)</c>, and <c>strftime_now(format)</c>
/// (the clock's local time; <c>%Y %m %d %b %B %H %M %%</c>, as the reference implements it).
/// </summary>
internal static class TemplateGlobals
{
    public static readonly IReadOnlySet<string> Functions = new HashSet<string>(StringComparer.Ordinal)
    {
        "raise_exception", "namespace", "range", "dict", "strftime_now",
    };

    public static void AddTo(VariableScope scope, TimeProvider clock)
    {
        scope.Set("raise_exception", new JinjaFunction("raise_exception", arguments =>
            throw new TemplateRuntimeError(JinjaValues.ToOutput(arguments.Get(0, "message", "")), raisedByTemplate: true)));
        scope.Set("namespace", new JinjaFunction("namespace", Namespace));
        scope.Set("range", new JinjaFunction("range", Range));
        scope.Set("dict", new JinjaFunction("dict", Dict));
        scope.Set("strftime_now", new JinjaFunction("strftime_now", arguments =>
            arguments.Get(0, "format", null) is string format
                ? StrftimeNow(format, clock.GetLocalNow())
                : throw new TemplateRuntimeError("strftime_now() takes a format string")));
    }

    private static JinjaNamespace Namespace(JinjaArguments arguments)
    {
        var ns = new JinjaNamespace();
        if (arguments.Positional.Count > 1)
        {
            throw new TemplateRuntimeError("namespace() takes at most one positional argument");
        }
        if (arguments.Positional.Count == 1)
        {
            if (arguments.Positional[0] is not OrderedDictionary<string, object?> initial)
            {
                throw new TemplateRuntimeError("namespace() takes a dict and keyword arguments");
            }
            foreach (var (key, value) in initial)
            {
                ns.Attributes[key] = value;
            }
        }
        foreach (var (key, value) in arguments.Keyword)
        {
            ns.Attributes[key] = value;
        }
        return ns;
    }

    private static OrderedDictionary<string, object?> Dict(JinjaArguments arguments)
    {
        var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in arguments.Keyword)
        {
            map[key] = value;
        }
        return map;
    }

    private static List<object?> Range(JinjaArguments arguments)
    {
        var numbers = arguments.Positional.Select(value => value as long?
            ?? throw new TemplateRuntimeError("range() takes integers")).ToList();
        var (start, stop, step) = numbers.Count switch
        {
            1 => (0L, numbers[0], 1L),
            2 => (numbers[0], numbers[1], 1L),
            3 => (numbers[0], numbers[1], numbers[2]),
            _ => throw new TemplateRuntimeError("range() takes one to three integers"),
        };
        if (step == 0)
        {
            throw new TemplateRuntimeError("range() step must not be zero");
        }
        var result = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (result.Count >= 1_000_000)
            {
                throw new TemplateRuntimeError("range() is limited to a million items");
            }
            result.Add(i);
        }
        return result;
    }

    public static string StrftimeNow(string format, DateTimeOffset now)
    {
        var output = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                output.Append(format[i]);
                continue;
            }
            var directive = format[++i];
            output.Append(directive switch
            {
                'Y' => now.Year.ToString(CultureInfo.InvariantCulture),
                'm' => now.Month.ToString("00", CultureInfo.InvariantCulture),
                'd' => now.Day.ToString("00", CultureInfo.InvariantCulture),
                'b' => now.ToString("MMM", CultureInfo.InvariantCulture),
                'B' => now.ToString("MMMM", CultureInfo.InvariantCulture),
                'H' => now.Hour.ToString("00", CultureInfo.InvariantCulture),
                'M' => now.Minute.ToString("00", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => "%" + directive,
            });
        }
        return output.ToString();
    }
}
