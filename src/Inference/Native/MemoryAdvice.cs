using System.Runtime.InteropServices;

namespace GqaService.Inference.Native;

/// <summary>Linux's <c>madvise</c> and the advice values the service gives (huge pages for tensors, released code).</summary>
internal static partial class MemoryAdvice
{
    /// <summary>MADV_DONTNEED: unmap the range's pages (a private file mapping's come back from the file on next use).</summary>
    public const int DontNeed = 4;

    /// <summary>MADV_HUGEPAGE: back the range with transparent huge pages where the host's THP setting is "madvise".</summary>
    public const int HugePage = 14;

    /// <summary>MADV_NOHUGEPAGE: never back the range with transparent huge pages.</summary>
    public const int NoHugePage = 15;

    /// <summary>0 on success; the range must start on a page boundary.</summary>
    [LibraryImport("libc.so.6", EntryPoint = "madvise")]
    public static partial int Madvise(nint address, nuint length, int advice);
}
