using GqaService.Inference.Engine;

namespace GqaService.Api.Cli;

/// <summary>
/// The failures an offline verb (generate, perplexity) reports as one <c>error:</c> line and exit code 1: bad arguments,
/// a request the engine refuses, an unreadable or malformed model. Anything else is a bug and keeps its stack trace.
/// </summary>
internal static class CommandFailures
{
    public static bool IsUserFacing(Exception exception) =>
        exception is ArgumentException or InvalidGenerationRequestException or IOException or InvalidDataException
        || exception.GetType().Name.EndsWith("LoadException", StringComparison.Ordinal);
}
