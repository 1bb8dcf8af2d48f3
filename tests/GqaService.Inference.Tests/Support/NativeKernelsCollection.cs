namespace GqaService.Inference.Tests.Support;

/// <summary>
/// Tests that call the native kernels directly: the library's worker pool and its scratch serve one caller at a time
/// (gqa_parallel_for is not reentrant), so these classes never run concurrently with each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NativeKernelsCollection
{
    public const string Name = "native kernels";
}
