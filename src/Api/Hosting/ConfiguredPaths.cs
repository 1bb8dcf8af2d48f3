using GqaService.Inference.Engine;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace GqaService.Api.Hosting;

/// <summary>
/// Makes the engine's relative paths absolute by where they were written: a path in a JSON settings file is relative to
/// that file's folder (so appsettings.json can name a model beside it wherever the service is started from); any other
/// source (environment, command line) is relative to the current directory. Command-line switches arrive absolute already.
/// </summary>
public static class ConfiguredPaths
{
    public static IServiceCollection ResolveEnginePaths(this IServiceCollection services, IConfiguration configuration)
    {
        services.PostConfigure<EngineOptions>(options =>
        {
            options.ModelPath = Resolve(configuration, $"{EngineOptions.SectionName}:{nameof(EngineOptions.ModelPath)}", options.ModelPath);
            options.TokenizerPath = Resolve(configuration, $"{EngineOptions.SectionName}:{nameof(EngineOptions.TokenizerPath)}", options.TokenizerPath);
        });
        return services;
    }

    /// <summary>The absolute form of <paramref name="value"/> (bound from <paramref name="key"/>); empty stays empty.</summary>
    public static string? Resolve(IConfiguration configuration, string key, string? value)
    {
        if (string.IsNullOrEmpty(value) || Path.IsPathRooted(value))
        {
            return value;
        }
        return Path.GetFullPath(value, BaseDirectoryOf(configuration, key) ?? Environment.CurrentDirectory);
    }

    /// <summary>The folder of the JSON file whose value for <paramref name="key"/> wins, or null when another source wins.</summary>
    private static string? BaseDirectoryOf(IConfiguration configuration, string key)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return null;
        }
        // Later providers override earlier ones: the last that has the key is the one the options were bound from.
        foreach (var provider in root.Providers.Reverse())
        {
            if (provider.TryGet(key, out _))
            {
                return provider is JsonConfigurationProvider { Source.FileProvider: PhysicalFileProvider files } ? files.Root : null;
            }
        }
        return null;
    }
}
