using GqaService.Api.Cli;
using GqaService.Api.Hosting;
using Microsoft.Extensions.Configuration;

namespace GqaService.Api.Tests;

public sealed class ConfiguredPathsTests
{
    private const string ModelKey = "Inference:ModelPath";

    [Fact]
    public void RelativePathInASettingsFile_IsRelativeToThatFilesFolder()
    {
        var folder = Directory.CreateTempSubdirectory("gqa-settings-").FullName;
        try
        {
            var file = Path.Combine(folder, "appsettings.json");
            File.WriteAllText(file, """{ "Inference": { "ModelPath": "models/tiny.bin" } }""");
            var configuration = new ConfigurationBuilder().AddJsonFile(file).Build();

            var resolved = ConfiguredPaths.Resolve(configuration, ModelKey, configuration[ModelKey]);

            Assert.Equal(Path.Combine(folder, "models", "tiny.bin"), resolved);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void RelativePathFromALaterSource_IsRelativeToTheCurrentDirectory()
    {
        var folder = Directory.CreateTempSubdirectory("gqa-settings-").FullName;
        try
        {
            var file = Path.Combine(folder, "appsettings.json");
            File.WriteAllText(file, """{ "Inference": { "ModelPath": "models/tiny.bin" } }""");
            // The environment (here an in-memory source added after the file, as environment variables are) wins.
            var configuration = new ConfigurationBuilder().AddJsonFile(file)
                .AddInMemoryCollection(new Dictionary<string, string?> { [ModelKey] = "other.bin" }).Build();

            var resolved = ConfiguredPaths.Resolve(configuration, ModelKey, configuration[ModelKey]);

            Assert.Equal(Path.Combine(Environment.CurrentDirectory, "other.bin"), resolved);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/models/x.bin")]
    public void EmptyOrAbsolutePaths_AreKept(string? value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ModelKey] = value }).Build();

        Assert.Equal(value, ConfiguredPaths.Resolve(configuration, ModelKey, value));
    }

    [Theory]
    [InlineData("--Inference:KvCacheMiB=64", true)]
    [InlineData("--api:RateLimit:PermitsPerMinute=60", true)]
    [InlineData("--urls=http://127.0.0.1:1", true)]
    [InlineData("--Serilog=", true)]
    [InlineData("--modle=x.bin", false)]
    [InlineData("--Inference:KvCacheMiB", false)]
    [InlineData("--model", false)]
    [InlineData("Inference:KvCacheMiB=64", false)]
    public void ConfigurationArguments_AreKnownSectionsWithAValue(string arg, bool expected) =>
        Assert.Equal(expected, ConfigurationArguments.IsAssignment(arg));
}
