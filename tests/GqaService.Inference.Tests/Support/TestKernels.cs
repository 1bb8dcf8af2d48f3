using GqaService.Inference.Kernels;

namespace GqaService.Inference.Tests.Support;

/// <summary>The native kernel library, loaded once for every test that uses it (two threads: the pool's fork-join runs).</summary>
internal static class TestKernels
{
    public static NativeKernels Instance { get; } = NativeKernels.TryLoad(threads: 2, spinMicroseconds: 50, out var reason)
        ?? throw new InvalidOperationException($"the native kernels must load in tests: {reason}");
}
