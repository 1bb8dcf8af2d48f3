namespace GqaService.Api.Cli;

/// <summary>
/// <c>--Section:Key=value</c> arguments, as ASP.NET Core's command-line configuration takes them, for the sections this
/// service reads (and the host's own keys, which the test host passes this way). They bypass the switch parser, so any
/// configuration key can be set without a switch of its own; a token naming any other section is left to the parser,
/// which refuses it, so a mistyped <c>--modle=x.bin</c> is an error and not a silently ignored key.
/// </summary>
public static class ConfigurationArguments
{
    public static IReadOnlySet<string> KnownRoots { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Inference", "Api", "Serilog", "Service", "Kestrel", "Logging", "AllowedHosts",
        "urls", "environment", "contentRoot", "applicationName",
    };

    /// <summary>Splits <paramref name="args"/> into configuration assignments and the rest, each in its original order.</summary>
    public static (string[] Configuration, string[] Switches) Split(IReadOnlyList<string> args)
    {
        var configuration = new List<string>();
        var rest = new List<string>();
        foreach (var arg in args)
        {
            (IsAssignment(arg) ? configuration : rest).Add(arg);
        }
        return ([.. configuration], [.. rest]);
    }

    public static bool IsAssignment(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal))
        {
            return false;
        }
        var equals = arg.IndexOf('=');
        if (equals < 0)
        {
            return false;
        }
        var key = arg[2..equals];
        var colon = key.IndexOf(':');
        return KnownRoots.Contains(colon < 0 ? key : key[..colon]);
    }
}
