using System.Runtime.InteropServices;

namespace GqaService.Inference.Native;

/// <summary>
/// Hands the C heap's free memory back to the kernel. Loading allocates and frees a tensor's worth of memory per weight
/// (read in float32, narrowed, fused, moved onto huge pages), and glibc keeps what it freed inside its heap while later
/// allocations sit above it: with its weights moved onto huge pages, random100M's step benchmark held 841 MB resident
/// without this and 578 MB with it (653 MB before the move; docs/benchmarks.md, ninth round).
/// </summary>
internal static partial class NativeHeap
{
    /// <summary>glibc's <c>malloc_trim(0)</c>: every free page of every arena goes back. Best effort; elsewhere a no-op.</summary>
    public static void ReleaseFreeMemory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            _ = MallocTrim(0);
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (musl has no malloc_trim): its allocator returns memory its own way.
        }
        catch (DllNotFoundException)
        {
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
