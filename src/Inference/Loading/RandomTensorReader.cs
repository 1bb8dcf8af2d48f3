using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Loading;

/// <summary>
/// Deterministic random weights: normal(0, 0.02) matrices and all-ones norms, drawn from one seeded generator in the
/// assembler's fixed order, so the same build always produces the same model.
/// </summary>
internal sealed class RandomTensorReader(ulong seed) : ITensorReader, IDisposable
{
    private const double InitStd = 0.02;
    private readonly Generator _generator = new(seed);

    public Tensor Read(string name, long[] shape)
    {
        if (shape.Length == 1)
        {
            return ones(shape, ScalarType.Float32);
        }
        using var scope = NewDisposeScope();
        return (randn(shape, ScalarType.Float32, generator: _generator) * InitStd).MoveToOuterDisposeScope();
    }

    public void Dispose() => _generator.Dispose();
}
