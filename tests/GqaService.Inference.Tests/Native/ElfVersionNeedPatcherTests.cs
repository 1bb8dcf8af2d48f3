using System.Runtime.InteropServices;
using GqaService.Inference.Native;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Native;

public sealed class ElfVersionNeedPatcherTests : IDisposable
{
    private const string Version = TorchNativeCompatibility.RequiredVersion;
    private static readonly Lazy<byte[]> Original = new(() => File.ReadAllBytes(PristineTorchSharpNative.Path));
    private static readonly Lazy<byte[]> Patched = new(() =>
        ElfVersionNeedPatcher.RemoveVersionNeed(Original.Value, Version, TorchNativeCompatibility.NeverCalledSymbols)!);

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [RequiresPristineTorchSharpNativeFact]
    public void PatchRemovesOnlyTheOneVersionNeed()
    {
        var before = ElfVersionNeedPatcher.ListVersionNeeds(Original.Value);
        var after = ElfVersionNeedPatcher.ListVersionNeeds(Patched.Value);

        Assert.Contains(("libstdc++.so.6", Version), before);
        Assert.DoesNotContain(after, need => need.Version == Version);
        Assert.Equal(before.Where(need => need.Version != Version), after);
    }

    [RequiresPristineTorchSharpNativeFact]
    public void BytesChangeOnlyInsideTheVersionTables()
    {
        var (original, patched) = (Original.Value, Patched.Value);
        Assert.Equal(original.Length, patched.Length);
        var editable = ElfSectionRanges.OfType(original, ElfSectionRanges.GnuVersionNeeds)
            .Concat(ElfSectionRanges.OfType(original, ElfSectionRanges.GnuVersionSymbols)).ToList();
        Assert.Equal(2, editable.Count);

        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();

        Assert.NotEmpty(changed);
        Assert.All(changed, i => Assert.Contains(editable, range => i >= range.Start && i < range.End));
        Assert.Contains(changed, i => i >= editable[0].Start && i < editable[0].End);
        Assert.Contains(changed, i => i >= editable[1].Start && i < editable[1].End);
    }

    [RequiresPristineTorchSharpNativeFact]
    public void PatchingTwiceChangesNothing() =>
        Assert.Null(ElfVersionNeedPatcher.RemoveVersionNeed(Patched.Value, Version, TorchNativeCompatibility.NeverCalledSymbols));

    [RequiresPristineTorchSharpNativeFact]
    public void SymbolsOutsideTheAllowListMakeItRefuse()
    {
        var error = Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.RemoveVersionNeed(Original.Value, Version, new HashSet<string>()));
        Assert.Contains("_ZSt21ios_base_library_initv", error.Message);
    }

    [Fact]
    public void NonElfFilesAreRejected()
    {
        var notElf = "this is not an ELF shared object, just some text long enough to have a header"u8.ToArray();
        Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.ListVersionNeeds(notElf));
        Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.RemoveVersionNeed(notElf, Version, TorchNativeCompatibility.NeverCalledSymbols));
        Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.ListVersionNeeds([0x7f, (byte)'E', (byte)'L', (byte)'F']));
    }

    [RequiresPristineTorchSharpNativeFact]
    public void PatchedCopyLoadsBesideTheTorchNatives()
    {
        var path = CopyBesideDependencies("patched", Patched.Value);
        Assert.True(NativeLibrary.TryLoad(path, out var handle), $"dlopen failed for {path}");
        NativeLibrary.Free(handle);
    }

    [RequiresPristineTorchSharpNativeFact]
    public void UnpatchedCopyFailsToLoadWhenHostLibStdCxxIsTooOld()
    {
        if (PristineTorchSharpNative.HostProvidesRequiredVersion())
        {
            return; // Nothing to prove on a host whose libstdc++ is new enough.
        }
        var path = CopyBesideDependencies("original", Original.Value);
        Assert.False(NativeLibrary.TryLoad(path, out _));
    }

    /// <summary>Its RUNPATH is $ORIGIN, so symlinks to the other natives beside the copy let the loader resolve them.</summary>
    private string CopyBesideDependencies(string name, byte[] image)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_directory.Path, name)).FullName;
        foreach (var dependency in Directory.EnumerateFiles(PristineTorchSharpNative.DependencyDirectory))
        {
            var fileName = Path.GetFileName(dependency);
            if (fileName is "libtorch.so" or "libc10.so" or "libtorch_cpu.so" || fileName.StartsWith("libgomp", StringComparison.Ordinal))
            {
                File.CreateSymbolicLink(Path.Combine(directory, fileName), dependency);
            }
        }
        var path = Path.Combine(directory, "libLibTorchSharp.so");
        File.WriteAllBytes(path, image);
        return path;
    }
}
