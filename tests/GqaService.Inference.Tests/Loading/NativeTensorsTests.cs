using GqaService.Inference.Loading;
using GqaService.Inference.Loading.Gguf;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Loading;

/// <summary>
/// Weights are written straight into a tensor's storage; a tensor too large for one span (over 2 GiB, lowered here) is
/// filled in whole rows through a staging tensor, and ends holding exactly what one piece would have.
/// </summary>
public sealed class NativeTensorsTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(1_000_000)] // one piece
    [InlineData(24 * 4 * 5)] // five rows at a time
    [InlineData(10)] // less than a row: one row at a time
    public void FilledTensorHoldsEveryValueAtItsPlace(long directFillLimitBytes)
    {
        var offsets = new List<long>();

        using var tensor = NativeTensors.Float32([37, 24], "test", "t", (offset, target) =>
        {
            offsets.Add(offset);
            for (var i = 0; i < target.Length; i++) target[i] = offset + i + 0.5f;
        }, directFillLimitBytes);

        using var expected = arange(0, 37 * 24, ScalarType.Float32).add_(0.5).view(37, 24);
        using var same = tensor.eq(expected).all();
        Assert.True(same.item<bool>());
        Assert.All(offsets, o => Assert.Equal(0, o % 24));
    }

    [Fact]
    public void QuantisedRowsFilledInPiecesEqualTheWholeTensor()
    {
        var random = new Random(Environment.TickCount);
        var raw = new byte[6 * 210];
        random.NextBytes(raw);
        for (var b = 0; b < 6; b++) BitConverter.TryWriteBytes(raw.AsSpan(b * 210 + 208), (Half)(0.01 + random.NextDouble() * 0.05));
        var path = _directory.File("q6k.gguf");
        new GgufWriter().AddTensor("w", [512, 3], (uint)GgmlType.Q6_K, raw).Save(path);
        using var file = GgufFile.Open(path);
        var info = file.Tensors["w"];

        using var pieces = NativeTensors.Float32([3, 512], path, "w", (offset, target) => file.Dequantize(info, offset, target), directFillLimitBytes: 512 * 4);

        using var whole = tensor(file.ReadFloat32(info), [3, 512]);
        using var same = pieces.eq(whole).all();
        Assert.True(same.item<bool>());
    }
}
