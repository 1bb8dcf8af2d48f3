using System.CommandLine.Parsing;
using System.Globalization;

namespace GqaService.Api.Cli;

/// <summary>Parses a comma-separated list of token ids given to a switch (<c>--prompt-ids</c>, <c>--token-ids</c>).</summary>
internal static class TokenIdList
{
    public static int[]? Parse(ArgumentResult result)
    {
        var name = (result.Parent as OptionResult)?.Option.Name ?? "the token ids";
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(',', result.Tokens.Select(t => t.Value));
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
            {
                result.AddError($"{name} must be comma-separated non-negative integers, got '{text}'.");
                return null;
            }
        }
        if (ids.Length == 0)
        {
            result.AddError($"{name} needs at least one id.");
            return null;
        }
        return ids;
    }
}
