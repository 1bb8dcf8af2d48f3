namespace GqaService.Inference.Tests.Support;

/// <summary>Locates ../shared/models (override with GQA_SHARED_MODELS); tests that need it skip with a reason when absent.</summary>
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
            // Walk up from the test binaries to the repository root, then to its sibling 'shared'.
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "GqaService.sln")))
            {
                directory = directory.Parent;
            }
            var root = directory?.FullName ?? System.IO.Directory.GetCurrentDirectory();
            return Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
        }
    }

    public static bool Available => File.Exists(Path.Combine(Directory, "stories260K", "stories260K.bin"));

    public static string SkipReason => $"shared reference models not found at {Directory} (set GQA_SHARED_MODELS)";

    public static string Stories260KBin => Path.Combine(Directory, "stories260K", "stories260K.bin");
    public static string Stories260KTokenizer => Path.Combine(Directory, "stories260K", "tokenizer.model");
    public static string Stories260KHf => Path.Combine(Directory, "stories260K-hf");
    public static string ExpectedGreedy => Path.Combine(Directory, "stories260K", "expected-greedy.json");
}
