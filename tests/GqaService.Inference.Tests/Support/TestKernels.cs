using GqaService.Inference.Kernels;

namespace GqaService.Inference.Tests.Support;

/// <summary>The native kernel library as tests use it: it must load (the test build compiles it).</summary>
internal static class TestKernels
{
    public static NativeKernels Instance { get; } = NativeKernels.TryLoad(threads: 2, spinMicroseconds: 50, out var reason)
        ?? throw new InvalidOperationException($"the native kernels must load in tests: {reason}");
}
