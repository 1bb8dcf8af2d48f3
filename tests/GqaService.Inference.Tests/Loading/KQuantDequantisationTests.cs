using GqaService.Inference.Loading;
using GqaService.Inference.Loading.Gguf;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Loading;

/// <summary>
/// Q4_K and Q6_K super-blocks (256 values) dequantise as an independent per-value reference written here from ggml's block
/// layouts, on fresh random blocks (random scales and quants, never zeros), directly and through a GGUF file this test writes.
/// </summary>
public sealed class KQuantDequantisationTests : IDisposable
{
    private const int Values = 256;
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void RandomBlocksDequantiseAsTheLayoutSays(GgmlType type)
    {
        var random = new Random(Environment.TickCount);
        const int blocks = 64;
        var raw = RandomBlocks(type, blocks, random);
        var actual = new float[blocks * Values];

        GgufDequantizer.Dequantize(type, raw, actual);

        var expected = Reference(type, raw, blocks);
        AssertClose(expected, actual, type);
        // The random scales and quants leave no block all zero.
        Assert.True(actual.Count(v => v != 0) > actual.Length * 0.9);
    }

    [Theory]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void TensorsInAGgufFileDequantiseAsTheLayoutSays(GgmlType type)
    {
        var random = new Random(Environment.TickCount);
        var raw = RandomBlocks(type, 3 * 2, random);
        var path = _directory.File($"{type}.gguf");
        new GgufWriter().Set("general.architecture", "llama").AddTensor("weights", [512, 3], (uint)type, raw).Save(path);
        using var file = GgufFile.Open(path);
        var info = file.Tensors["weights"];

        Assert.Equal(type, info.Type);
        Assert.Equal([3L, 512L], info.Shape);
        Assert.Equal(raw.Length, info.ByteCount);
        AssertClose(Reference(type, raw, 6), file.ReadFloat32(info), type);
    }

    [Theory]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void RowsThatAreNotWholeSuperBlocksAreRefused(GgmlType type)
    {
        var path = _directory.File("bad-rows.gguf");
        new GgufWriter().AddTensor("weights", [128, 4], (uint)type, RandomBlocks(type, 2, new Random(1))).Save(path);

        var error = Assert.Throws<ModelLoadException>(() => GgufFile.Open(path).Dispose());

        Assert.Equal(path, error.Path);
        Assert.Contains($"tensor 'weights' of type {type} has rows of 128 values, not whole 256-value blocks", error.Message, StringComparison.Ordinal);
    }

    private static void AssertClose(double[] expected, float[] actual, GgmlType type)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            // float32 arithmetic on at most three factors: a few ulps of the magnitude.
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"{type}[{i}]: {actual[i]} vs {expected[i]}");
        }
    }

    /// <summary>Random super-blocks: every byte random, the float16 scales random non-zero values of either sign.</summary>
    private static byte[] RandomBlocks(GgmlType type, int blocks, Random random)
    {
        var size = type == GgmlType.Q4_K ? 144 : 210;
        var raw = new byte[blocks * size];
        random.NextBytes(raw);
        for (var b = 0; b < blocks; b++)
        {
            var scaleOffsets = type == GgmlType.Q4_K ? new[] { 0, 2 } : [208];
            foreach (var offset in scaleOffsets)
            {
                var scale = (Half)((random.NextDouble() * 0.09 + 0.01) * (random.Next(2) == 0 ? -1 : 1));
                BitConverter.TryWriteBytes(raw.AsSpan(b * size + offset), scale);
            }
        }
        return raw;
    }

    /// <summary>
    /// Value by value, in float64, from the layouts (ggml-common.h):
    /// Q4_K = { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] }: value e is in sub-block s = e / 32, whose 6-bit scale and min are
    /// scales[s] and scales[s + 4] (low 6 bits) for s &lt; 4, and for s ≥ 4 the nibbles of scales[s + 4] (scale low, min high)
    /// with the top two bits of scales[s - 4] (scale) and scales[s] (min) above them; its 4-bit quant is the low nibble of
    /// qs[32 * (s / 2) + e % 32] for even s, the high one for odd s; value = d * scale * q - dmin * min.
    /// Q6_K = { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d }: value e is in half h = e / 128, quarter k = (e % 128) / 32 at
    /// l = e % 32; its low 4 bits are the low (k &lt; 2) or high nibble of ql[64 h + 32 (k % 2) + l], its high 2 bits are bits
    /// 2k..2k+1 of qh[32 h + l]; value = d * scales[8 h + 2 k + l / 16] * (q - 32).
    /// </summary>
    private static double[] Reference(GgmlType type, byte[] raw, int blocks)
    {
        var values = new double[blocks * Values];
        for (var b = 0; b < blocks; b++)
        {
            for (var e = 0; e < Values; e++)
            {
                values[b * Values + e] = type == GgmlType.Q4_K
                    ? Q4_K(raw.AsSpan(b * 144, 144), e)
                    : Q6_K(raw.AsSpan(b * 210, 210), e);
            }
        }
        return values;
    }

    private static double Q4_K(ReadOnlySpan<byte> block, int e)
    {
        double d = (double)BitConverter.ToHalf(block), dmin = (double)BitConverter.ToHalf(block[2..]);
        var scales = block.Slice(4, 12);
        var s = e / 32;
        int scale, min;
        if (s < 4)
        {
            scale = scales[s] % 64;
            min = scales[s + 4] % 64;
        }
        else
        {
            scale = scales[s + 4] % 16 + scales[s - 4] / 64 * 16;
            min = scales[s + 4] / 16 + scales[s] / 64 * 16;
        }
        var packed = block[16 + 32 * (s / 2) + e % 32];
        var q = s % 2 == 0 ? packed % 16 : packed / 16;
        return d * scale * q - dmin * min;
    }

    private static double Q6_K(ReadOnlySpan<byte> block, int e)
    {
        var d = (double)BitConverter.ToHalf(block[208..]);
        int h = e / 128, k = e % 128 / 32, l = e % 32;
        var low = block[64 * h + 32 * (k % 2) + l];
        var low4 = k < 2 ? low % 16 : low / 16;
        var high2 = block[128 + 32 * h + l] / (1 << (2 * k)) % 4;
        var scale = (sbyte)block[192 + 8 * h + 2 * k + l / 16];
        return d * scale * (low4 + 16 * high2 - 32);
    }
}
