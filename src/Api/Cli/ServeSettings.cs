namespace GqaService.Api.Cli;

/// <summary>
/// What the <c>serve</c> command line asked for, as configuration entries layered over appsettings.json and the
/// environment (the command line wins). Paths are already absolute: resolved against the directory the user typed the
/// command in, not the content root.
/// </summary>
/// <param name="HostArguments"><c>--Section:Key=value</c> arguments, given to the host's own command-line configuration.</param>
/// <param name="Configuration">The switches' values; added after every other source, so they win.</param>
public sealed record ServeSettings(IReadOnlyList<string> HostArguments, IReadOnlyDictionary<string, string?> Configuration);
