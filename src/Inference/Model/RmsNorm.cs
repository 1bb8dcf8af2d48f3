using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// x / sqrt(mean(x^2) + eps) * weight, over the last dimension. Holds its epsilon (and the alpha of 1 that TorchSharp's
/// <c>add_</c> would otherwise create) as long-lived <see cref="Scalar"/>s: a number converted per call could be finalized
/// while libtorch still reads it. Temporaries belong to the caller's scope.
/// </summary>
internal sealed class RmsNorm(float eps) : IDisposable
{
    private readonly Scalar _eps = eps.ToScalar();
    private readonly Scalar _one = 1.ToScalar();

    public Tensor Apply(Tensor x, Tensor weight)
    {
        var inverseRms = x.mul(x).mean([-1L], keepdim: true).add_(_eps, _one).rsqrt_(); // [N, 1]
        return x.mul(inverseRms).mul_(weight);
    }

    public void Dispose()
    {
        _eps.Dispose();
        _one.Dispose();
    }
}
