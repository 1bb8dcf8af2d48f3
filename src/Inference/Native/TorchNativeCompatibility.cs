using System.Text;

namespace GqaService.Inference.Native;

/// <summary>
/// Makes TorchSharp's native library loadable on hosts whose libstdc++ predates GCC 13 (Debian 12). The shipped
/// <c>libLibTorchSharp.so</c> asks for <c>GLIBCXX_3.4.32</c> only because it references
/// <c>std::ios_base_library_init</c>, which it never calls; on such hosts that one requirement is removed from the
/// file TorchSharp will load (it loads by path, beside TorchSharp.dll). Hosts that are new enough are left untouched.
/// </summary>
public static class TorchNativeCompatibility
{
    public const string RequiredVersion = "GLIBCXX_3.4.32";
    public static readonly IReadOnlySet<string> NeverCalledSymbols = new HashSet<string> { "_ZSt21ios_base_library_initv" };

    private static readonly Lock Gate = new();
    private static string? _outcome;

    /// <summary>Idempotent; returns one sentence saying which path was taken (for the host's log).</summary>
    public static string EnsureLoadable()
    {
        lock (Gate)
        {
            return _outcome ??= Apply();
        }
    }

    /// <summary>Where TorchSharp looks: under runtimes/ in a build, or beside TorchSharp.dll in a RID-specific publish.</summary>
    public static IReadOnlyList<string> NativeLibraryCandidates()
    {
        var managedDirectory = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location) ?? AppContext.BaseDirectory;
        return
        [
            Path.Combine(managedDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
            Path.Combine(managedDirectory, "libLibTorchSharp.so"),
        ];
    }

    public static string NativeLibraryPath() => NativeLibraryCandidates().FirstOrDefault(File.Exists) ?? NativeLibraryCandidates()[0];

    private static string Apply()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "TorchSharp natives used as shipped (not Linux).";
        }
        var libstdcxx = LoadedLibStdCxxPath();
        if (libstdcxx is not null && FileContains(libstdcxx, RequiredVersion))
        {
            return $"TorchSharp natives used as shipped: {libstdcxx} provides {RequiredVersion}.";
        }
        var targets = NativeLibraryCandidates().Where(File.Exists).ToList();
        if (targets.Count == 0)
        {
            return $"TorchSharp native library not found at {string.Join(" or ", NativeLibraryCandidates())}; nothing patched.";
        }
        var patchedPaths = new List<string>();
        foreach (var target in targets)
        {
            if (PatchInPlace(target))
            {
                patchedPaths.Add(target);
            }
        }
        return patchedPaths.Count == 0
            ? $"TorchSharp natives already compatible with {libstdcxx ?? "this libstdc++"} ({string.Join(", ", targets)} do not need {RequiredVersion})."
            : $"Host libstdc++ ({libstdcxx ?? "unknown"}) lacks {RequiredVersion}: removed that unused requirement from {string.Join(", ", patchedPaths)}.";
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static bool PatchInPlace(string target)
    {
        var patched = ElfVersionNeedPatcher.RemoveVersionNeed(File.ReadAllBytes(target), RequiredVersion, NeverCalledSymbols);
        if (patched is null)
        {
            return false;
        }
        // Write beside the target and rename, so a concurrent process never maps a half-written library.
        var temporary = $"{target}.{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temporary, patched);
        File.SetUnixFileMode(temporary, File.GetUnixFileMode(target));
        File.Move(temporary, target, overwrite: true);
        return true;
    }

    private static string? LoadedLibStdCxxPath()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/');
                if (slash >= 0 && line.Contains("libstdc++.so", StringComparison.Ordinal))
                {
                    return line[slash..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        string[] candidates = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6"];
        return candidates.FirstOrDefault(File.Exists);
    }

    private static bool FileContains(string path, string text)
    {
        var needle = Encoding.ASCII.GetBytes(text + "\0");
        return File.ReadAllBytes(path).AsSpan().IndexOf(needle) >= 0;
    }
}
