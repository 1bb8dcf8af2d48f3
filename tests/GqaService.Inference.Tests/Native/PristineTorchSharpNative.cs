using System.Text;
using GqaService.Inference.Native;

namespace GqaService.Inference.Tests.Native;

/// <summary>
/// The TorchSharp native library as shipped in the NuGet cache. The copy beside the test binaries may already have been
/// patched in place by the module initializer, so tests of the patcher start from this one.
/// </summary>
internal static class PristineTorchSharpNative
{
    public static string Path
    {
        get
        {
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
            if (string.IsNullOrEmpty(packages))
            {
                packages = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            }
            return System.IO.Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        }
    }

    public static bool Available => File.Exists(Path);

    public static string SkipReason => $"pristine TorchSharp native library not found at {Path}";

    /// <summary>Where the other natives it depends on (libtorch.so, libc10.so, ...) live.</summary>
    public static string DependencyDirectory => System.IO.Path.GetDirectoryName(TorchNativeCompatibility.NativeLibraryPath())!;

    public static bool HostProvidesRequiredVersion()
    {
        string[] candidates = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6"];
        var libstdcxx = candidates.FirstOrDefault(File.Exists);
        var needle = Encoding.ASCII.GetBytes(TorchNativeCompatibility.RequiredVersion + "\0");
        return libstdcxx is null || File.ReadAllBytes(libstdcxx).AsSpan().IndexOf(needle) >= 0;
    }
}
