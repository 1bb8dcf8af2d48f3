using static TorchSharp.torch;

namespace GqaService.Inference.Model;

internal static class RmsNorm
{
    /// <summary>x / sqrt(mean(x^2) + eps) * weight, over the last dimension. Temporaries belong to the caller's scope.</summary>
    public static Tensor Apply(Tensor x, Tensor weight, float eps)
    {
        var inverseRms = x.pow(2).mean([-1L], keepdim: true).add_(eps).rsqrt_(); // [N, 1]
        return x.mul(inverseRms).mul_(weight);
    }
}
