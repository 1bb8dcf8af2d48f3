using System.Globalization;

namespace GqaService.Inference.Native;

/// <summary>
/// Lets go of the resident pages of a shared library's code once the library has done its start-up work. libtorch
/// registers its thousands of operators when it loads, from static initialisers spread over the whole of
/// <c>libtorch_cpu.so</c>'s 340 MiB of text; that code never runs again, but its pages stay mapped: 56.5 of the
/// stories260K server's 226 MiB resident after start, of which 11.6 are mapped again once it is idle and serving
/// (docs/benchmarks.md, issue 14, eleventh round). <c>madvise(MADV_DONTNEED)</c> on a private file mapping unmaps its pages: the page cache keeps
/// them, and the code a later step runs maps back in on first use (a minor fault, no disk read while the page cache
/// holds the file). That is exact only for pages never written, so a mapping is released only when it is read-only and
/// executable and holds no private (copy-on-write) page; anything else is left as it is. Best effort and Linux only.
/// </summary>
internal static class LibraryCodePages
{
    /// <summary>libtorch's operator library, by far the largest code of the process.</summary>
    public const string TorchCpuLibrary = "libtorch_cpu.so";

    /// <summary>
    /// Releases the resident code pages of every mapping of <paramref name="libraryFileName"/> that
    /// <see cref="ReleasableMappings"/> accepts, and returns how many bytes of them were resident.
    /// </summary>
    public static long ReleaseResident(string libraryFileName)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }
        var released = 0L;
        foreach (var mapping in ReleasableMappings(File.ReadLines("/proc/self/smaps"), libraryFileName))
        {
            if (MemoryAdvice.Madvise((nint)mapping.Start, (nuint)(mapping.End - mapping.Start), MemoryAdvice.DontNeed) == 0)
            {
                released += mapping.ResidentBytes;
            }
        }
        return released;
    }

    /// <summary>
    /// The mappings of <paramref name="smapsLines"/> (the format of <c>/proc/PID/smaps</c>) that are code of
    /// <paramref name="libraryFileName"/> (the file's name, any directory) safe to release: permissions <c>r-xp</c>, no
    /// dirty and no anonymous (copy-on-write) page, something resident.
    /// </summary>
    public static IReadOnlyList<CodeMapping> ReleasableMappings(IEnumerable<string> smapsLines, string libraryFileName)
    {
        var accepted = new List<CodeMapping>();
        CodeMapping? candidate = null; // the current mapping, while it may still qualify
        foreach (var line in smapsLines)
        {
            if (TryParseHeader(line, out var mapping, out var permissions, out var path))
            {
                AcceptCandidate();
                candidate = permissions == "r-xp" && Path.GetFileName(path) == libraryFileName ? mapping : null;
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (candidate is not { } current || colon <= 0
                || !long.TryParse(line.AsSpan(colon + 1).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kilobytes))
            {
                continue;
            }
            candidate = line.AsSpan(0, colon) switch
            {
                "Rss" => current with { ResidentBytes = kilobytes * 1024 },
                "Shared_Dirty" or "Private_Dirty" or "Anonymous" when kilobytes > 0 => null, // a written page: leave it
                _ => current,
            };
        }
        AcceptCandidate();
        return accepted;

        void AcceptCandidate()
        {
            if (candidate is { ResidentBytes: > 0 } releasable)
            {
                accepted.Add(releasable);
            }
        }
    }

    /// <summary>Parses a header line, <c>start-end perms offset dev inode [path]</c>; field lines (<c>Rss: 4 kB</c>) are not.</summary>
    private static bool TryParseHeader(string line, out CodeMapping mapping, out string permissions, out string path)
    {
        mapping = default;
        permissions = path = "";
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        var dash = fields.Length < 5 ? -1 : fields[0].IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
            || !ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end))
        {
            return false;
        }
        mapping = new CodeMapping(start, end, 0);
        permissions = fields[1];
        path = fields.Length == 6 ? fields[5].Trim() : "";
        return true;
    }
}
