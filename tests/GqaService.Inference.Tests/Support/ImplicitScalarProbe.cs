using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Support;

/// <summary>Deliberately unsafe TorchSharp calls, for proving the implicit-Scalar scan can see them.</summary>
internal static class ImplicitScalarProbe
{
    public static Tensor Unsafe(Tensor x) => x.add_(1e-5f);

    public static Tensor UnsafeThroughTorchSharp(Tensor a, Tensor b) => a + b;
}
