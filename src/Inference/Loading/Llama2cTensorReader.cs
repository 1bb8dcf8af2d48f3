using static TorchSharp.torch;

namespace GqaService.Inference.Loading;

/// <summary>Reads tensors of a llama2.c checkpoint straight from the file into the tensors' storage (no per-float work).</summary>
internal sealed class Llama2cTensorReader(string path, FileStream stream, Llama2cLayout layout) : ITensorReader
{
    public Tensor Read(string name, long[] shape)
    {
        if (!layout.TryFind(name, out var offset, out var count))
        {
            throw new ModelLoadException(path, $"llama2.c checkpoints hold no tensor '{name}'.");
        }
        if (shape.Aggregate(1L, (a, b) => a * b) != count)
        {
            throw new ModelLoadException(path, $"tensor '{name}' holds {count} floats, expected shape [{string.Join(", ", shape)}].");
        }
        return NativeTensors.Float32(shape, path, name, (at, target) => NativeTensors.ReadFloat32(stream, offset + at * sizeof(float), target, path, name));
    }
}
