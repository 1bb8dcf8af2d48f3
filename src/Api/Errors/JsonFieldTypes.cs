using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GqaService.Api.Errors;

/// <summary>
/// What JSON a field of a request contract wants, for the message of a type mismatch: follows a field path
/// (<c>messages[0].role</c>) through the contract's snake_case properties.
/// </summary>
internal static partial class JsonFieldTypes
{
    public static string? Describe(Type? contract, string field)
    {
        var type = contract;
        foreach (var segment in field.Split('.'))
        {
            var match = Segment().Match(segment);
            if (type is null || !match.Success)
            {
                return null;
            }
            type = Property(type, match.Groups["name"].Value);
            for (var i = 0; i < match.Groups["index"].Captures.Count && type is not null; i++)
            {
                type = ElementType(type);
            }
        }
        return type is null ? null : Kind(Nullable.GetUnderlyingType(type) ?? type);
    }

    private static Type? Property(Type type, string jsonName) => type
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .FirstOrDefault(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == jsonName)?.PropertyType;

    private static Type? ElementType(Type type) => type.IsArray
        ? type.GetElementType()
        : type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    private static string? Kind(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) => "an integer",
        _ when type == typeof(float) || type == typeof(double) => "a number",
        _ when type == typeof(bool) => "a boolean (true or false)",
        _ when type == typeof(string) => "a string",
        _ when type.IsArray || (type != typeof(string) && ElementType(type) is not null) => "an array",
        _ when type.IsClass => "an object",
        _ => null,
    };

    [GeneratedRegex(@"^(?<name>[a-z0-9_]+)(\[(?<index>\d+)\])*$")]
    private static partial Regex Segment();
}
