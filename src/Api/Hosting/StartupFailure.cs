using GqaService.Inference.Loading;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Hosting;

/// <summary>What a failure to start (or to stop) says on one line, and whether its stack trace is worth logging.</summary>
public static class StartupFailure
{
    /// <summary>The exception's own message, unwrapped and flattened to one line; unexpected kinds also name their type.</summary>
    public static string OneLine(Exception exception)
    {
        var failure = Unwrap(exception);
        var text = failure switch
        {
            OptionsValidationException invalid => $"invalid configuration: {string.Join("; ", invalid.Failures)}",
            _ when IsExpected(failure) => failure.Message,
            _ => $"{failure.GetType().Name}: {failure.Message}",
        };
        return string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// Failures an operator causes and fixes without the code: a bad model file, an invalid setting, a port in use. Their
    /// message says everything; a stack trace would only bury it.
    /// </summary>
    public static bool IsExpected(Exception exception) => Unwrap(exception) switch
    {
        ModelLoadException or OptionsValidationException or IOException or InvalidDataException or UnauthorizedAccessException => true,
        // The configuration binder's "Failed to convert configuration value 'x' at 'Section:Key'…" and its refusal of unknown keys.
        InvalidOperationException invalid => ThrownByConfigurationBinder(invalid),
        _ => false,
    };

    private static bool ThrownByConfigurationBinder(Exception exception)
    {
        for (var type = exception.TargetSite?.DeclaringType; type is not null; type = type.DeclaringType)
        {
            if (type == typeof(ConfigurationBinder))
            {
                return true;
            }
        }
        return false;
    }

    private static Exception Unwrap(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            exception = aggregate.InnerExceptions[0];
        }
        return exception;
    }
}
