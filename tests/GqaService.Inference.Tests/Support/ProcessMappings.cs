using System.Globalization;

namespace GqaService.Inference.Tests.Support;

/// <summary>Linux's own view of this process's memory (<c>/proc/self/smaps</c>), for tests of what the service asks of it.</summary>
internal static class ProcessMappings
{
    /// <summary>Whether the mapping holding <paramref name="address"/> was advised MADV_HUGEPAGE (VmFlags <c>hg</c>).</summary>
    public static bool IsHugePageAdvised(ulong address) => VmFlags(address).Contains("hg");

    /// <summary>Whether the mapping holding <paramref name="address"/> was advised MADV_NOHUGEPAGE (VmFlags <c>nh</c>).</summary>
    public static bool IsNoHugePageAdvised(ulong address) => VmFlags(address).Contains("nh");

    /// <summary>The VmFlags of the mapping holding <paramref name="address"/>.</summary>
    private static string[] VmFlags(ulong address)
    {
        Assert.True(OperatingSystem.IsLinux(), "the service's huge-page advice is Linux's madvise");
        var inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var dash = line.IndexOf('-', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end))
            {
                inside = start <= address && address < end;
            }
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                return line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }
        Assert.Fail($"no mapping holds 0x{address:x}");
        return [];
    }
}
