namespace GqaService.Inference.Tests.Native;

/// <summary>A fact that skips, saying why, when the NuGet cache holds no pristine TorchSharp native library.</summary>
public sealed class RequiresPristineTorchSharpNativeFactAttribute : FactAttribute
{
    public RequiresPristineTorchSharpNativeFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "ELF patching only applies on Linux";
        }
        else if (!PristineTorchSharpNative.Available)
        {
            Skip = PristineTorchSharpNative.SkipReason;
        }
    }
}
