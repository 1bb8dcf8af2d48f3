using System.Runtime.CompilerServices;
using GqaService.Inference.Native;

namespace GqaService.Inference.Tests.Support;

internal static class TorchSetup
{
    [ModuleInitializer]
    internal static void MakeTorchLoadable() => TorchNativeCompatibility.EnsureLoadable();
}
