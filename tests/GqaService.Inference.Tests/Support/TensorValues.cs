using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Support;

internal static class TensorValues
{
    public static float[] Of(Tensor tensor)
    {
        using var contiguousTensor = tensor.contiguous();
        return contiguousTensor.data<float>().ToArray();
    }

    /// <summary>Rows [start, start + count) of a 2-D tensor, flattened.</summary>
    public static float[] Rows(Tensor tensor, long start, long count)
    {
        using var rows = tensor.narrow(0, start, count);
        using var contiguousRows = rows.contiguous();
        return contiguousRows.data<float>().ToArray();
    }
}
