using GqaService.Inference.Loading.Gguf;
using GqaService.Inference.Model;
using GqaService.Inference.Precision;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Precision;

/// <summary>
/// Load-time Q8_0 quantisation against float64 on fresh random matrices, and against llama.cpp's own blocks: quantising
/// stories260K's float32 GGUF must give <c>llama-quantize</c>'s Q8_0 file byte for byte, and widening those blocks and
/// quantising again must give them back (what serving a GGUF Q8_0 file as q8_0 relies on).
/// </summary>
public sealed class Q8_0QuantizerTests
{
    private static string GgufFile(string name) => Path.Combine(SharedModels.Directory, "stories260K-gguf", name);

    [Theory]
    [InlineData(1, 32)]
    [InlineData(7, 96)]
    [InlineData(33, 768)]
    public void RoundTripIsWithinHalfAStepPerBlock(int rows, int columns)
    {
        using var scope = NewDisposeScope();
        var generator = new Random(HashCode.Combine(rows, columns, Environment.TickCount));
        var values = new float[rows * columns];
        var scale = 1.0;
        for (var i = 0; i < values.Length; i++)
        {
            if (i % Q8_0Weight.BlockSize == 0)
            {
                scale = Math.Pow(10, generator.NextDouble() * 4 - 3);
            }
            values[i] = (float)((generator.NextDouble() * 2 - 1) * scale);
        }
        var matrix = tensor(values, [rows, columns]);

        var (quants, scales) = Q8_0Quantizer.Quantize(matrix);
        var back = Q8_0Quantizer.Dequantize(new Q8_0Weight(quants, scales)).data<float>().ToArray();

        Assert.Equal([rows, columns], quants.shape);
        Assert.Equal([rows, columns / Q8_0Weight.BlockSize], scales.shape);
        var q = quants.data<sbyte>().ToArray();
        var d16 = scales.to_type(ScalarType.Float64).data<double>().ToArray();
        for (var block = 0; block < values.Length / Q8_0Weight.BlockSize; block++)
        {
            var x = values.AsSpan(block * Q8_0Weight.BlockSize, Q8_0Weight.BlockSize);
            double amax = 0;
            foreach (var value in x)
            {
                amax = Math.Max(amax, Math.Abs(value));
            }
            var d = amax / 127;
            Assert.Equal((double)(Half)(float)d, d16[block], 1e-12 * d);
            for (var c = 0; c < Q8_0Weight.BlockSize; c++)
            {
                var index = block * Q8_0Weight.BlockSize + c;
                // The rounding itself: q is x in steps of d to within half a step (and |q| <= 127).
                Assert.InRange(Math.Abs(x[c] / d - q[index]), 0, 0.5 + 1e-5);
                Assert.InRange((int)q[index], -127, 127);
                // The stored value d16·q: half a step, plus 127 times the float16 rounding of d.
                var error = Math.Abs(back[index] - (double)x[c]);
                Assert.True(error <= d / 2 + 127 * Math.Abs(d - d16[block]) + 1e-6 * d,
                    $"block {block}: |{back[index]} - {x[c]}| = {error:G3} exceeds half a step ({d / 2:G3}) plus the float16 rounding of d");
            }
        }
    }

    [Fact]
    public void RequantisingDequantisedBlocksGivesThemBack()
    {
        using var scope = NewDisposeScope();
        var generator = new Random(Environment.TickCount);
        var matrix = rand(41, 320).sub_(0.5).mul_(generator.Next(1, 100));

        var (quants, scales) = Q8_0Quantizer.Quantize(matrix);
        var (again, againScales) = Q8_0Quantizer.Quantize(Q8_0Quantizer.Dequantize(new Q8_0Weight(quants, scales)));

        Assert.Equal(quants.data<sbyte>().ToArray(), again.data<sbyte>().ToArray());
        Assert.Equal(scales.data<Half>().ToArray(), againScales.data<Half>().ToArray());
    }

    [RequiresSharedModelsFact]
    public void QuantisingTheF32FileGivesLlamaQuantizesBlocks()
    {
        using var f32 = Inference.Loading.Gguf.GgufFile.Open(GgufFile("stories260K.gguf"));
        using var q8 = Inference.Loading.Gguf.GgufFile.Open(GgufFile("stories260K-q8_0.gguf"));
        var checkedTensors = 0;
        foreach (var info in q8.Tensors.Values.Where(t => t.Type == GgmlType.Q8_0))
        {
            using var scope = NewDisposeScope();
            var original = tensor(f32.ReadFloat32(f32.Tensors[info.Name]), info.Shape.Length == 1 ? [1, info.Shape[0]] : info.Shape);
            var (quants, scales) = Q8_0Quantizer.Quantize(original);
            AssertSameBlocks(q8.RawBytes(info), quants, scales, info.Name);
            checkedTensors++;
        }
        Assert.True(checkedTensors >= 10, $"only {checkedTensors} Q8_0 tensors in the file");
    }

    [RequiresSharedModelsFact]
    public void RequantisingTheQ8_0FilesBlocksGivesThemBack()
    {
        using var q8 = Inference.Loading.Gguf.GgufFile.Open(GgufFile("stories260K-q8_0.gguf"));
        foreach (var info in q8.Tensors.Values.Where(t => t.Type == GgmlType.Q8_0))
        {
            using var scope = NewDisposeScope();
            var widened = tensor(q8.ReadFloat32(info), info.Shape);
            var (quants, scales) = Q8_0Quantizer.Quantize(widened);
            AssertSameBlocks(q8.RawBytes(info), quants, scales, info.Name);
        }
    }

    /// <summary>llama.cpp's interleaved 34-byte blocks split into scales and quants.</summary>
    private static (Half[] Scales, sbyte[] Quants) Blocks(byte[] raw)
    {
        var blocks = raw.Length / 34;
        var scales = new Half[blocks];
        var quants = new sbyte[blocks * Q8_0Weight.BlockSize];
        for (var b = 0; b < blocks; b++)
        {
            scales[b] = BitConverter.UInt16BitsToHalf((ushort)(raw[b * 34] | raw[b * 34 + 1] << 8));
            for (var c = 0; c < Q8_0Weight.BlockSize; c++)
            {
                quants[b * Q8_0Weight.BlockSize + c] = (sbyte)raw[b * 34 + 2 + c];
            }
        }
        return (scales, quants);
    }

    private static void AssertSameBlocks(byte[] raw, Tensor quants, Tensor scales, string name)
    {
        var (expectedScales, expectedQuants) = Blocks(raw);
        Assert.True(expectedScales.SequenceEqual(scales.data<Half>().ToArray()), $"{name}: block scales differ from llama.cpp's");
        Assert.True(expectedQuants.SequenceEqual(quants.data<sbyte>().ToArray()), $"{name}: quants differ from llama.cpp's");
    }
}
