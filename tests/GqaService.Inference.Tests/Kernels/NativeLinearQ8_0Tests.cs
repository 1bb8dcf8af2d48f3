using GqaService.Inference.Kernels;
using GqaService.Inference.Model;
using GqaService.Inference.Precision;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GqaService.Inference.Tests.Kernels;

/// <summary>
/// The native Q8_0 kernel on fresh random inputs, both its AVX-512 VNNI path and its portable one, against two float64
/// references computed here: llama.cpp's q8_0 × q8_0 dot (x quantised per 32-block as ggml's x86 quantize_row_q8_0 does,
/// then Σ_blocks dx·dw·Σ qx·qw), which it must match to float32 rounding; and the exact product x·(d·q), which it must
/// match within what quantising x can move it (and libtorch's F.linear over the dequantised weights likewise).
/// </summary>
[Collection(NativeKernelsCollection.Name)]
public sealed class NativeLinearQ8_0Tests
{
    private static NativeKernels Kernels => TestKernels.Instance;

    /// <summary>Every row count 1..17 (below 16 the AVX-512 loop takes rows eight, four and one at a time), K from one block to 64, N odd; then prefill-sized calls.</summary>
    public static TheoryData<int, int, int, bool> Cases()
    {
        int[] ks = [32, 96, 768, 2048, 160];
        int[] ns = [1, 37, 131, 7, 45];
        var cases = new TheoryData<int, int, int, bool>();
        for (var m = 1; m <= 17; m++)
        {
            cases.Add(m, ks[m % ks.Length], ns[m % ns.Length], m % 3 == 0);
        }
        // A prefill's rows: more than one chunk of 32, the last one partial (from 16 rows the AVX-512 loop takes 4 x rows
        // by 4 weight rows per tile, a task's last 1-3 weight rows and a chunk's last 1-3 x rows one weight row at a time).
        cases.Add(70, 224, 19, true);
        cases.Add(48, 768, 131, false);
        cases.Add(35, 2048, 64, true);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLlamaCppDotAndTheExactProduct(int m, int k, int n, bool withBias) => Check(m, k, n, withBias, portable: false);

    [Theory]
    [MemberData(nameof(Cases))]
    public void PortablePathMatchesLlamaCppDotAndTheExactProduct(int m, int k, int n, bool withBias) => Check(m, k, n, withBias, portable: true);

    [Fact]
    public void Accumulates_IntoTheOutput()
    {
        using var scope = NewDisposeScope();
        var generator = new Random(Environment.TickCount);
        var x = RandomMatrix(generator, 3, 224, spread: true);
        var weight = Quantized(RandomMatrix(generator, 29, 224, spread: true));
        var start = RandomMatrix(generator, 3, 29, spread: false);
        var output = start.clone();

        Assert.True(Kernels.TryLinearQ8_0(x, weight, null, output, accumulate: true));

        var (expected, bound) = LlamaCppReference(x, weight, null);
        var starts = start.data<float>().ToArray();
        AssertWithin(expected, output, bound, (i, j) => starts[i * 29 + j]);
    }

    [Fact]
    public void RefusesWhatItCannotRead()
    {
        using var scope = NewDisposeScope();
        var generator = new Random(Environment.TickCount);
        var weight = Quantized(RandomMatrix(generator, 6, 64, spread: false));
        var output = empty(4, 6);
        Assert.False(Kernels.TryLinearQ8_0(ones(4, 64, ScalarType.Float64), weight, null, output, accumulate: false));
        Assert.False(Kernels.TryLinearQ8_0(ones(64, 4).t(), weight, null, output, accumulate: false)); // not contiguous
        Assert.Throws<ArgumentException>(() => Kernels.TryLinearQ8_0(ones(4, 96), weight, null, output, accumulate: false));
    }

    private static void Check(int m, int k, int n, bool withBias, bool portable)
    {
        using var scope = NewDisposeScope();
        var generator = new Random(HashCode.Combine(m, k, n, withBias, portable, Environment.TickCount));
        var x = RandomMatrix(generator, m, k, spread: true);
        var weight = Quantized(RandomMatrix(generator, n, k, spread: true));
        var bias = withBias ? RandomMatrix(generator, 1, n, spread: false).view(n) : null;
        var output = empty(m, n, ScalarType.Float32);

        NativeKernels.SetPortableOnly(portable);
        try
        {
            Assert.True(Kernels.TryLinearQ8_0(x, weight, bias, output, accumulate: false));
        }
        finally
        {
            NativeKernels.SetPortableOnly(false);
        }

        var (llamaCpp, roundingBound) = LlamaCppReference(x, weight, bias);
        AssertWithin(llamaCpp, output, roundingBound, (_, _) => 0.0);
        var (exact, quantisationBound) = ExactReference(x, weight, bias);
        var combined = new double[m, n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                combined[i, j] = quantisationBound[i, j] + roundingBound[i, j];
            }
        }
        AssertWithin(exact, output, combined, (_, _) => 0.0);
        using var dequantised = Q8_0Quantizer.Dequantize(weight);
        AssertWithin(exact, F.linear(x, dequantised, bias), combined, (_, _) => 0.0, "libtorch over the dequantised weights");
    }

    /// <summary>
    /// Values whose magnitude varies from block to block (spread) so block scales differ, never all zero.
    /// </summary>
    private static Tensor RandomMatrix(Random generator, int rows, int columns, bool spread)
    {
        var values = new float[rows * columns];
        var scale = 1.0;
        for (var i = 0; i < values.Length; i++)
        {
            if (spread && i % Q8_0Weight.BlockSize == 0)
            {
                scale = Math.Pow(10, generator.NextDouble() * 3 - 2);
            }
            values[i] = (float)((generator.NextDouble() * 2 - 1) * scale);
        }
        return tensor(values, [rows, columns]);
    }

    private static Q8_0Weight Quantized(Tensor matrix)
    {
        var (quants, scales) = Q8_0Quantizer.Quantize(matrix);
        return new Q8_0Weight(quants, scales);
    }

    /// <summary>ggml's x86 quantize_row_q8_0 of one block: d = amax/127 kept as float16, q = round-half-even(x·127/amax).</summary>
    private static (double Scale, int[] Quants) QuantizeActivationBlock(ReadOnlySpan<float> x)
    {
        var amax = 0f;
        foreach (var value in x)
        {
            amax = MathF.Max(amax, MathF.Abs(value));
        }
        var inverse = amax != 0f ? 127f / amax : 0f;
        var quants = new int[x.Length];
        for (var c = 0; c < x.Length; c++)
        {
            quants[c] = (int)MathF.Round(x[c] * inverse, MidpointRounding.ToEven);
        }
        return ((double)(float)(Half)(amax / 127f), quants);
    }

    /// <summary>
    /// llama.cpp's q8_0 × q8_0 dot in float64, and the bound of float32 rounding around it: the kernel rounds each block's
    /// scale product once and each of at most K/32 + 16 additions once, each relative 2^-24 of Σ dx·dw·|qx·qw|.
    /// </summary>
    private static (double[,] Values, double[,] Bound) LlamaCppReference(Tensor x, Q8_0Weight weight, Tensor? bias)
    {
        long m = x.shape[0], k = x.shape[1], n = weight.OutFeatures, blocks = k / Q8_0Weight.BlockSize;
        var xs = x.data<float>().ToArray();
        var quants = weight.Quants.data<sbyte>().ToArray();
        var scales = weight.Scales.to_type(ScalarType.Float64).data<double>().ToArray();
        var bs = bias?.data<float>().ToArray();
        var values = new double[m, n];
        var bound = new double[m, n];
        for (var i = 0; i < m; i++)
        {
            var row = Enumerable.Range(0, (int)blocks)
                .Select(b => QuantizeActivationBlock(xs.AsSpan((int)(i * k + b * Q8_0Weight.BlockSize), Q8_0Weight.BlockSize))).ToArray();
            for (var j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (var b = 0; b < blocks; b++)
                {
                    long dot = 0, absolute = 0;
                    for (var c = 0; c < Q8_0Weight.BlockSize; c++)
                    {
                        var product = row[b].Quants[c] * quants[j * k + b * Q8_0Weight.BlockSize + c];
                        dot += product;
                        absolute += Math.Abs(product);
                    }
                    var scale = row[b].Scale * scales[j * blocks + b];
                    sum += scale * dot;
                    // The vector path scales partial dots (lanes of four products) before adding them, so its rounding
                    // is relative to Σ|qx·qw|, not to the block's (possibly cancelling) dot.
                    magnitude += Math.Abs(scale) * absolute;
                }
                var withBias = bs is null ? 0 : Math.Abs(bs[j]);
                values[i, j] = sum + (bs?[j] ?? 0);
                bound[i, j] = 2 * (blocks + 16) * Math.Pow(2, -24) * (magnitude + withBias) + 1e-30;
            }
        }
        return (values, bound);
    }

    /// <summary>
    /// x·(d·q) exactly, and how far quantising x can move it: an element moves by at most half its block's float32 step
    /// (amax/127) plus 127 times the float16 rounding of that step, weighted by |d·q|.
    /// </summary>
    private static (double[,] Values, double[,] Bound) ExactReference(Tensor x, Q8_0Weight weight, Tensor? bias)
    {
        long m = x.shape[0], k = x.shape[1], n = weight.OutFeatures;
        var xs = x.data<float>().ToArray();
        using var wide = Q8_0Quantizer.Dequantize(weight);
        var ws = wide.to_type(ScalarType.Float64).data<double>().ToArray();
        var bs = bias?.data<float>().ToArray();
        var values = new double[m, n];
        var bound = new double[m, n];
        for (var i = 0; i < m; i++)
        {
            var step = new double[k];
            for (var b = 0; b < k / Q8_0Weight.BlockSize; b++)
            {
                var block = xs.AsSpan((int)(i * k + b * Q8_0Weight.BlockSize), Q8_0Weight.BlockSize);
                double amax = 0;
                foreach (var value in block)
                {
                    amax = Math.Max(amax, Math.Abs(value));
                }
                var d = amax / 127;
                var error = d / 2 + 127 * Math.Abs(d - (double)(Half)d) + 1e-6 * d;
                for (var c = 0; c < Q8_0Weight.BlockSize; c++)
                {
                    step[b * Q8_0Weight.BlockSize + c] = error;
                }
            }
            for (var j = 0; j < n; j++)
            {
                double sum = 0, moved = 0;
                for (var c = 0; c < k; c++)
                {
                    sum += xs[i * k + c] * ws[j * k + c];
                    moved += step[c] * Math.Abs(ws[j * k + c]);
                }
                values[i, j] = sum + (bs?[j] ?? 0);
                bound[i, j] = moved;
            }
        }
        return (values, bound);
    }

    private static void AssertWithin(double[,] expected, Tensor actual, double[,] bound, Func<int, int, double> start, string what = "the Q8_0 kernel")
    {
        var values = actual.data<float>().ToArray();
        var n = expected.GetLength(1);
        for (var i = 0; i < expected.GetLength(0); i++)
        {
            for (var j = 0; j < n; j++)
            {
                var want = expected[i, j] + start(i, j);
                var error = Math.Abs(values[i * n + j] - want);
                Assert.True(error <= bound[i, j] + 1e-6 * Math.Abs(start(i, j)),
                    $"{what}: y[{i}, {j}] = {values[i * n + j]}, reference {want} (|error| {error:G3} > {bound[i, j]:G3})");
            }
        }
    }
}
