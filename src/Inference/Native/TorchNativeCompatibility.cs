using System.Text;

namespace GqaService.Inference.Native;

/// <summary>
/// Makes TorchSharp's native library loadable on hosts whose libstdc++ predates GCC 13 (Debian 12). The shipped
/// <c>libLibTorchSharp.so</c> asks for <c>GLIBCXX_3.4.32</c> only because it references
/// <c>std::ios_base_library_init</c>, which it never calls. On such hosts a copy without that one requirement is written
/// to a cache directory the service owns (never into the application directory, which may be read-only), keyed by the
/// original's hash, and TorchSharp's own loading is pointed at it: its dependencies are loaded from the original folder
/// first and a DllImport resolver on TorchSharp's assembly answers "LibTorchSharp" with the copy. Hosts that are new
/// enough are left untouched.
/// </summary>
public static class TorchNativeCompatibility
{
    public const string RequiredVersion = "GLIBCXX_3.4.32";
    public const string LibraryName = "LibTorchSharp";
    public const string LibraryFileName = "libLibTorchSharp.so";

    /// <summary>Environment variable naming the cache directory (default: $XDG_CACHE_HOME or ~/.cache, then the temp folder).</summary>
    public const string CacheDirectoryVariable = "GQA_NATIVE_CACHE";

    /// <summary>The libtorch libraries libLibTorchSharp.so needs, loaded from the original folder so the copy finds them.</summary>
    private static readonly string[] Dependencies = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];

    public static readonly IReadOnlySet<string> NeverCalledSymbols = new HashSet<string> { "_ZSt21ios_base_library_initv" };

    private static readonly Lock Gate = new();
    private static string? _outcome;
    private static IntPtr _patchedHandle;

    /// <summary>Idempotent; returns one sentence saying which path was taken (for the host's log).</summary>
    /// <exception cref="IOException">The host needs the patched copy and no cache directory can be written (the message says what to set).</exception>
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
            Path.Combine(managedDirectory, "runtimes", "linux-x64", "native", LibraryFileName),
            Path.Combine(managedDirectory, LibraryFileName),
        ];
    }

    public static string NativeLibraryPath() => NativeLibraryCandidates().FirstOrDefault(File.Exists) ?? NativeLibraryCandidates()[0];

    /// <summary>The cache directory: <see cref="CacheDirectoryVariable"/> if set, else the user's cache folder, else the temp folder.</summary>
    public static string DefaultCacheDirectory()
    {
        var configured = Environment.GetEnvironmentVariable(CacheDirectoryVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var root = !string.IsNullOrEmpty(xdg) ? xdg : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache") : Path.GetTempPath();
        return Path.Combine(root, "gqa-service", "natives");
    }

    /// <summary>
    /// The patched copy of <paramref name="original"/> under <paramref name="cacheDirectory"/> (written once, by a
    /// rename so a concurrent process never maps a half-written file), or null when the original needs no patch.
    /// Never writes beside the original.
    /// </summary>
    public static string? PreparePatchedCopy(string original, string cacheDirectory)
    {
        var bytes = File.ReadAllBytes(original);
        var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16];
        var target = Path.Combine(cacheDirectory, key, LibraryFileName);
        if (File.Exists(target))
        {
            return target;
        }
        var patched = ElfVersionNeedPatcher.RemoveVersionNeed(bytes, RequiredVersion, NeverCalledSymbols);
        if (patched is null)
        {
            return null;
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var temporary = $"{target}.{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temporary, patched);
            File.Move(temporary, target, overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new IOException(
                $"TorchSharp's {LibraryFileName} needs a patched copy on this host (its libstdc++ lacks {RequiredVersion}) and the cache " +
                $"directory {cacheDirectory} cannot be written ({exception.Message}); set {CacheDirectoryVariable} to a writable directory.", exception);
        }
        return target;
    }

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
        var original = NativeLibraryCandidates().FirstOrDefault(File.Exists);
        if (original is null)
        {
            return $"TorchSharp native library not found at {string.Join(" or ", NativeLibraryCandidates())}; nothing patched.";
        }
        var copy = PreparePatchedCopy(original, DefaultCacheDirectory());
        if (copy is null)
        {
            return $"TorchSharp natives already compatible with {libstdcxx ?? "this libstdc++"} ({original} does not need {RequiredVersion}).";
        }
        UseCopy(original, copy);
        return $"Host libstdc++ ({libstdcxx ?? "unknown"}) lacks {RequiredVersion}: TorchSharp loads {copy}, a copy of {original} without that unused requirement.";
    }

    /// <summary>Loads the copy (its libtorch dependencies first, from the original's folder) and answers TorchSharp's DllImports with it.</summary>
    private static void UseCopy(string original, string copy)
    {
        var directory = Path.GetDirectoryName(original)!;
        foreach (var dependency in Dependencies)
        {
            var path = Path.Combine(directory, dependency);
            if (File.Exists(path))
            {
                System.Runtime.InteropServices.NativeLibrary.Load(path);
            }
        }
        _patchedHandle = System.Runtime.InteropServices.NativeLibrary.Load(copy);
        System.Runtime.InteropServices.NativeLibrary.SetDllImportResolver(typeof(TorchSharp.torch).Assembly, (name, _, _) =>
            name is LibraryName or LibraryFileName ? _patchedHandle : IntPtr.Zero);
    }

    /// <summary>
    /// The address of one of LibTorchSharp's exports, from the very library TorchSharp loaded (the patched copy where one
    /// is used), for the few calls TorchSharp does not expose. Call after TorchSharp has loaded its natives.
    /// </summary>
    public static IntPtr TorchSharpExport(string symbol)
    {
        var handle = _patchedHandle != IntPtr.Zero
            ? _patchedHandle
            : System.Runtime.InteropServices.NativeLibrary.Load(LibraryName, typeof(TorchSharp.torch).Assembly, null);
        return System.Runtime.InteropServices.NativeLibrary.GetExport(handle, symbol);
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
