using System.Runtime.InteropServices;

namespace GqaService.Inference.Native;

/// <summary>
/// libtorch's OpenMP workers spin-wait between parallel regions by default. On a small machine that spinning steals the
/// cores the HTTP threads need to deliver tokens, so streams stutter; passive waiting fixes it (measured in
/// docs/benchmarks.md). libgomp reads the variable once when it loads, so this must run before the first TorchSharp call,
/// and it must go into the native environment (.NET's SetEnvironmentVariable does not). A value the operator set wins.
/// </summary>
public static partial class OpenMpEnvironment
{
    public const string WaitPolicy = "OMP_WAIT_POLICY";

    public static string PreferPassiveWaiting()
    {
        if (!OperatingSystem.IsLinux())
        {
            return $"{WaitPolicy} left as is (not Linux).";
        }
        var existing = Environment.GetEnvironmentVariable(WaitPolicy);
        if (!string.IsNullOrEmpty(existing))
        {
            return $"{WaitPolicy}={existing} (set by the environment).";
        }
        return SetEnvironment(WaitPolicy, "PASSIVE", overwrite: 0) == 0
            ? $"{WaitPolicy}=PASSIVE (OpenMP workers sleep instead of spinning between steps)."
            : $"{WaitPolicy} could not be set; OpenMP keeps its default.";
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
