namespace GqaService.Api.Tests.Support;

/// <summary>Locates ../shared/models beside the repository root (override with GQA_SHARED_MODELS).</summary>
internal static class SharedModels
{
    public static string Directory
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("GQA_SHARED_MODELS");
            if (!string.IsNullOrEmpty(fromEnvironment))
            {
                return fromEnvironment;
            }
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "GqaService.sln")))
            {
                directory = directory.Parent;
            }
            var root = directory?.FullName ?? System.IO.Directory.GetCurrentDirectory();
            return Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
        }
    }

    public static string Stories260KBin => Path.Combine(Directory, "stories260K", "stories260K.bin");
    public static string Stories260KTokenizer => Path.Combine(Directory, "stories260K", "tokenizer.model");
    public static string ExpectedGreedy => Path.Combine(Directory, "stories260K", "expected-greedy.json");
    public static bool Available => File.Exists(Stories260KBin);
    public static string SkipReason => $"shared reference model not found at {Stories260KBin} (set GQA_SHARED_MODELS)";
}
