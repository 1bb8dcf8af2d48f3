using GqaService.Inference.Native;

namespace GqaService.Inference.Tests.Native;

/// <summary>The patched copy lives in the service's cache directory; the application directory is never written.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TorchNativeCompatibilityTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("gqa-natives-");

    [RequiresPristineTorchSharpNativeFact]
    public void PatchedCopy_IsWrittenToTheCache_AndTheReadOnlyApplicationDirectoryIsUntouched()
    {
        var application = Directory.CreateDirectory(Path.Combine(_work.FullName, "app"));
        var original = Path.Combine(application.FullName, TorchNativeCompatibility.LibraryFileName);
        File.Copy(PristineTorchSharpNative.Path, original);
        File.SetUnixFileMode(original, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(application.FullName, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        var before = Snapshot(application.FullName);
        var cache = Path.Combine(_work.FullName, "cache");

        var copy = TorchNativeCompatibility.PreparePatchedCopy(original, cache);

        Assert.NotNull(copy);
        Assert.StartsWith(cache + Path.DirectorySeparatorChar, copy);
        Assert.Equal(before, Snapshot(application.FullName));
        // The copy no longer needs the version: patching it again finds nothing to remove; the original still does.
        Assert.Null(ElfVersionNeedPatcher.RemoveVersionNeed(File.ReadAllBytes(copy), TorchNativeCompatibility.RequiredVersion, TorchNativeCompatibility.NeverCalledSymbols));
        Assert.NotNull(ElfVersionNeedPatcher.RemoveVersionNeed(File.ReadAllBytes(original), TorchNativeCompatibility.RequiredVersion, TorchNativeCompatibility.NeverCalledSymbols));
    }

    [RequiresPristineTorchSharpNativeFact]
    public void PatchedCopy_IsKeyedByTheOriginalsHash_AndReusedOnTheNextStart()
    {
        var original = Path.Combine(_work.FullName, TorchNativeCompatibility.LibraryFileName);
        File.Copy(PristineTorchSharpNative.Path, original);
        var cache = Path.Combine(_work.FullName, "cache");

        var first = TorchNativeCompatibility.PreparePatchedCopy(original, cache)!;
        var written = File.GetLastWriteTimeUtc(first);
        var second = TorchNativeCompatibility.PreparePatchedCopy(original, cache);
        var changed = Path.Combine(_work.FullName, "changed.so");
        var bytes = File.ReadAllBytes(original);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(changed, bytes);
        var third = TorchNativeCompatibility.PreparePatchedCopy(changed, cache);

        Assert.Equal(first, second);
        Assert.Equal(written, File.GetLastWriteTimeUtc(first));
        Assert.NotEqual(Path.GetDirectoryName(first), Path.GetDirectoryName(third));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(first)!));
    }

    [RequiresPristineTorchSharpNativeFact]
    public void UnwritableCache_StopsWithOneMessageSayingWhatToSet()
    {
        var original = Path.Combine(_work.FullName, TorchNativeCompatibility.LibraryFileName);
        File.Copy(PristineTorchSharpNative.Path, original);
        var aFile = Path.Combine(_work.FullName, "not-a-directory");
        File.WriteAllText(aFile, "x");
        var cache = Path.Combine(aFile, "cache");

        var error = Assert.Throws<IOException>(() => TorchNativeCompatibility.PreparePatchedCopy(original, cache));

        Assert.Contains(cache, error.Message);
        Assert.Contains(TorchNativeCompatibility.CacheDirectoryVariable, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    public void Dispose()
    {
        foreach (var directory in _work.EnumerateDirectories("*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(directory.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        _work.Delete(recursive: true);
    }

    private static string Snapshot(string directory) => string.Join('\n', Directory.GetFileSystemEntries(directory).Order()
        .Select(path => $"{path} {File.GetLastWriteTimeUtc(path):O} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))}"));
}
