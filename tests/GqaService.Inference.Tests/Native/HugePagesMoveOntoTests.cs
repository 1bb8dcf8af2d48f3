using GqaService.Inference.Kernels;
using GqaService.Inference.Model;
using GqaService.Inference.Native;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Native;

/// <summary>
/// Weight matrices of 2 MiB and more are moved to memory starting on a huge-page boundary, advised before being written
/// (Linux's own view of the mapping, <c>/proc/self/smaps</c>, says so), with every element unchanged; smaller ones stay.
/// </summary>
public sealed class HugePagesMoveOntoTests
{
    [Theory]
    [InlineData(ScalarType.Float32, 1280, 768)]  // random100M's fused qkv in float32: 3.75 MiB, a partial last huge page
    [InlineData(ScalarType.BFloat16, 4096, 768)] // its gate/up in bf16: 6 MiB, whole huge pages only
    [InlineData(ScalarType.Int8, 2048, 1031)]    // Q8_0 quants, an odd row length
    public void ALargeMatrix_MovesToAHugePageBoundary_Unchanged(ScalarType dtype, long rows, long columns)
    {
        using var source = RandomMatrix(dtype, rows, columns);
        using var expected = source.clone();

        using var moved = HugePages.MoveOnto(source);

        Assert.NotSame(source, moved);
        Assert.True(source.IsInvalid, "the source is released once moved");
        Assert.Equal(0, TensorMemory.AddressOf(moved) % HugePages.HugePageBytes);
        Assert.Equal(expected.shape, moved.shape);
        Assert.Equal(dtype, moved.dtype);
        using var equalElements = moved.eq(expected);
        using var allEqual = equalElements.all();
        Assert.True(allEqual.item<bool>());
        Assert.True(ProcessMappings.IsHugePageAdvised((ulong)TensorMemory.AddressOf(moved)));
    }

    [Fact]
    public void AMatrixUnderOneHugePage_StaysWhereItIs()
    {
        using var source = RandomMatrix(ScalarType.BFloat16, 1280, 768); // random100M's qkv in bf16: 1.9 MiB

        var same = HugePages.MoveOnto(source);

        Assert.Same(source, same);
        Assert.False(source.IsInvalid);
    }

    [Fact]
    public void BuiltWeights_GateUpMatrices_StartOnHugePageBoundaries()
    {
        // dim 512, hidden 1028: each layer's gate/up matrix (2 x 1028 x 512 floats) is 4 MiB.
        var config = RandomModels.Config(heads: 8, kvHeads: 2, headDim: 64);
        using var weights = RandomModels.Weights(config, seed: Environment.TickCount);

        foreach (var layer in weights.Layers)
        {
            Assert.Equal(0, TensorMemory.AddressOf(layer.GateUpProjection) % HugePages.HugePageBytes);
            Assert.True(layer.GateUpProjection.numel() * sizeof(float) >= HugePages.HugePageBytes);
        }
    }

    private static Tensor RandomMatrix(ScalarType dtype, long rows, long columns)
    {
        using TorchSharp.Scalar spread = 20.0, low = -127.0, high = 127.0;
        using var values = randn(rows, columns).mul_(spread);
        return dtype == ScalarType.Int8 ? values.clamp_(low, high).to_type(dtype) : values.to_type(dtype);
    }
}
