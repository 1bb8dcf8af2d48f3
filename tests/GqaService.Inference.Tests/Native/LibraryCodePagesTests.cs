using GqaService.Inference.Native;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Native;

/// <summary>
/// Only clean, read-only code mappings of the named library are released, and libtorch still computes correctly after
/// its resident code pages were let go (they map back in from the page cache).
/// </summary>
public sealed class LibraryCodePagesTests
{
    private const string Library = "/opt/app/runtimes/linux-x64/native/libtorch_cpu.so";

    [Fact]
    public void ReleasableMappings_TakeOnlyCleanResidentCodeOfTheLibrary()
    {
        var smaps = string.Join('\n',
            Mapping("7f0000000000-7f0000400000", "r--p", Library, rss: 512),                      // read-only data
            Mapping("7f0000400000-7f0015800000", "r-xp", Library, rss: 46_080),                    // clean code: released
            Mapping("7f0015800000-7f0015a00000", "r-xp", Library, rss: 64, privateDirty: 4),       // a page written (a breakpoint)
            Mapping("7f0015a00000-7f0015c00000", "r-xp", Library, rss: 32, anonymous: 8),          // a copy-on-write page
            Mapping("7f0015c00000-7f0015e00000", "r-xp", Library, rss: 0),                         // nothing resident
            Mapping("7f0015e00000-7f0016000000", "rw-p", Library, rss: 128),                       // relocated data
            Mapping("7f0016000000-7f0016200000", "r-xp", "/usr/lib/libc10.so", rss: 900),          // another library
            Mapping("7f0016200000-7f0016400000", "r-xp", Library + ".old", rss: 900),              // another file name
            Mapping("7f0016400000-7f0016600000", "r-xp", "", rss: 16),                             // anonymous code (the JIT's)
            Mapping("7f0016600000-7f0016800000", "r-xp", "/other/dir/libtorch_cpu.so", rss: 20));  // same name elsewhere

        var mappings = LibraryCodePages.ReleasableMappings(smaps.Split('\n'), "libtorch_cpu.so");

        Assert.Equal(
            [new CodeMapping(0x7f0000400000, 0x7f0015800000, 46_080 * 1024L), new CodeMapping(0x7f0016600000, 0x7f0016800000, 20 * 1024L)],
            mappings);
    }

    [Fact]
    public void ReleasingLibtorchsCode_LowersItsResidentPages_AndLibtorchStillComputes()
    {
        Assert.True(OperatingSystem.IsLinux(), "the release is Linux's madvise");
        var random = new Random();
        var (rows, inner, columns) = (7, 33, 5);
        var left = RandomValues(random, rows * inner);
        var right = RandomValues(random, inner * columns);
        using var leftTensor = tensor(left, rows, inner);
        using var rightTensor = tensor(right, inner, columns);
        using (var warm = leftTensor.matmul(rightTensor)) // libtorch loaded and used
        {
        }
        var before = ResidentCodeBytes();

        var released = LibraryCodePages.ReleaseResident(LibraryCodePages.TorchCpuLibrary);

        Assert.True(released > 0, "libtorch's code was resident, so something is released");
        Assert.True(ResidentCodeBytes() < before, "fewer of libtorch's code pages stay mapped");
        using var product = leftTensor.matmul(rightTensor);
        var computed = product.data<double>().ToArray();
        for (var row = 0; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                var expected = 0.0;
                for (var k = 0; k < inner; k++)
                {
                    expected += left[row * inner + k] * right[k * columns + column];
                }
                Assert.Equal(expected, computed[row * columns + column], tolerance: 1e-12);
            }
        }
    }

    /// <summary>What <c>/proc/self/smaps</c> says is resident of libtorch_cpu.so's code mappings.</summary>
    private static long ResidentCodeBytes() =>
        LibraryCodePages.ReleasableMappings(File.ReadLines("/proc/self/smaps"), LibraryCodePages.TorchCpuLibrary).Sum(mapping => mapping.ResidentBytes);

    private static double[] RandomValues(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).ToArray();

    private static string Mapping(string range, string permissions, string path, long rss, long privateDirty = 0, long anonymous = 0) =>
        $"""
        {range} {permissions} 00c00000 fd:01 4242          {path}
        Size:             348228 kB
        Rss:              {rss} kB
        Pss:              {rss} kB
        Shared_Clean:          0 kB
        Shared_Dirty:          0 kB
        Private_Clean:    {rss - privateDirty} kB
        Private_Dirty:    {privateDirty} kB
        Referenced:       {rss} kB
        Anonymous:        {anonymous} kB
        THPeligible:           0
        VmFlags: rd ex mr mw me sd
        """;
}
