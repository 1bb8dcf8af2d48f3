using GqaService.Inference.Kernels;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GqaService.Inference.Tests.Kernels;

/// <summary>
/// The native linear kernel against a float64 reference computed here from the very weights it read (16-bit weights
/// widened exactly), on fresh random inputs, for every path this host has, every weight dtype the path reads, every row
/// count from 1 to 33 (up to two x rows, four on the bf16 dot path, stream one weight row at a time; more take tiles of
/// 1-4 x rows by 4 or 1 weight rows) and a few past 128 (x is taken 128 rows at a time), odd K and N (the vector tails), with and without
/// bias and accumulation.
/// Bounds, relative to Σ|x·w| of each output: float32 accumulation's, 2^-24 per rounding on the longest chain of sums
/// (k for the portable path's one running sum; k/16 per vector lane plus the lane reduction for the AVX-512 paths); the
/// bf16 dot path also narrows x to bf16 (round to nearest even: relative 2^-9, stated as 2^-8), adding 2^-8.
/// </summary>
[Collection(NativeKernelsCollection.Name)]
public sealed class NativeLinearTests
{
    private static readonly NativeKernels Kernels = TestKernels.Instance;

    private static readonly int[] InnerSizes = [37, 64, 768, 1001, 16, 33];
    private static readonly int[] OutputSizes = [13, 8, 200, 1, 31, 9];

    public static TheoryData<NativeLinearPath, ScalarType, int> Cases()
    {
        var cases = new TheoryData<NativeLinearPath, ScalarType, int>();
        foreach (var (path, dtype) in PathsAndDtypes())
        {
            // 1-33: every tile shape and tail; 64, 128, 129 and 260: a prefill's rows, taken 128 at a time.
            foreach (var m in Enumerable.Range(1, 33).Concat([64, 128, 129, 260]))
            {
                cases.Add(path, dtype, m);
            }
        }
        return cases;
    }

    private static IEnumerable<(NativeLinearPath, ScalarType)> PathsAndDtypes()
    {
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16, ScalarType.Float16 })
        {
            yield return (NativeLinearPath.Portable, dtype);
            yield return (NativeLinearPath.Avx512Fma, dtype);
        }
        yield return (NativeLinearPath.Avx512Bf16Dot, ScalarType.BFloat16);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Linear_OnEveryPath_MatchesFloat64Reference(NativeLinearPath path, ScalarType weightDtype, int m)
    {
        var n = OutputSizes[m % OutputSizes.Length] + 8 * (m % 3); // 4-row tiles and their 1-row tails
        CheckAgainstReference(path, weightDtype, m, InnerSizes[m % InnerSizes.Length], n, withBias: m % 2 == 0, accumulate: m % 3 == 0);
    }

    public static TheoryData<NativeLinearPath, ScalarType, int> OneRowCases()
    {
        var cases = new TheoryData<NativeLinearPath, ScalarType, int>();
        foreach (var (path, dtype) in PathsAndDtypes())
        {
            // A decode step's single row: weight rows one at a time, split across tasks at every remainder.
            foreach (var n in new[] { 15, 16, 17, 24, 28, 31, 45, 77, 200, 1283 })
            {
                cases.Add(path, dtype, n);
            }
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(OneRowCases))]
    public void Linear_OneRow_EveryTileAndTail_MatchesFloat64Reference(NativeLinearPath path, ScalarType weightDtype, int n) =>
        CheckAgainstReference(path, weightDtype, 1, OneRowInnerSizes[n % OneRowInnerSizes.Length], n, withBias: n % 2 == 0, accumulate: false);

    // Whole 128- and 256-column steps only, a tail only, and both.
    private static readonly int[] OneRowInnerSizes = [768, 37, 1001];

    /// <summary>x [m, k] times random weights [n, k] on <paramref name="path"/> against the float64 reference; skipped
    /// where the host cannot run the path (the best path it has is covered by the same cases).</summary>
    private static void CheckAgainstReference(NativeLinearPath path, ScalarType weightDtype, int m, int k, int n, bool withBias, bool accumulate)
    {
        if (!HostHas(path))
        {
            return;
        }
        using var scope = NewDisposeScope();
        var generator = new Random(HashCode.Combine(path, weightDtype, m, n, Environment.TickCount));
        var x = RandomMatrix(generator, m, k);
        var weight = RandomMatrix(generator, n, k).to_type(weightDtype);
        var bias = withBias ? RandomMatrix(generator, 1, n).view(n) : null;
        var start = accumulate ? RandomMatrix(generator, m, n) : null;
        var output = start?.clone() ?? full(m, n, float.NaN, ScalarType.Float32); // NaN: every output must be written

        Assert.True(Kernels.TryLinear(x, weight, bias, output, accumulate, path));

        AssertClose(Reference(x, weight, bias, start), output, RelativeBound(path, k), $"{path}, {weightDtype} weights, m {m}, k {k}, n {n}");
    }

    [Fact]
    public void Linear_TakesTheFastestPathTheHostHas()
    {
        var bestFor16Bit = Kernels.Features.HasFlag(NativeCpuFeatures.Avx512Bf16) ? NativeLinearPath.Avx512Bf16Dot
            : Kernels.Features.HasFlag(NativeCpuFeatures.Avx512) ? NativeLinearPath.Avx512Fma : NativeLinearPath.Portable;
        var bestForWide = Kernels.Features.HasFlag(NativeCpuFeatures.Avx512) ? NativeLinearPath.Avx512Fma : NativeLinearPath.Portable;
        Assert.Equal(bestFor16Bit, Kernels.LinearPath(ScalarType.BFloat16));
        Assert.Equal(bestForWide, Kernels.LinearPath(ScalarType.Float32));
        Assert.Equal(bestForWide, Kernels.LinearPath(ScalarType.Float16));
        Assert.Null(Kernels.LinearPath(ScalarType.Float64));
    }

    /// <summary>
    /// The bf16 dot path against libtorch's own bf16 F.linear (which narrows its activations to bf16 as well): the same
    /// products, summed in float32 in another order, and libtorch rounds its result to bf16 (2^-8 relative).
    /// </summary>
    [Theory]
    [InlineData(1, 768, 2048)]
    [InlineData(16, 768, 1280)]
    [InlineData(7, 2048, 77)]
    [InlineData(33, 61, 45)]
    public void Bf16Linear_MatchesLibtorchBf16Linear(int m, int k, int n)
    {
        var path = Kernels.LinearPath(ScalarType.BFloat16)!.Value;
        using var scope = NewDisposeScope();
        var generator = new Random(HashCode.Combine(m, k, n, Environment.TickCount));
        var x = RandomMatrix(generator, m, k);
        var weight = RandomMatrix(generator, n, k).to_type(ScalarType.BFloat16);
        var output = empty(m, n, ScalarType.Float32);

        Assert.True(Kernels.TryLinear(x, weight, null, output, accumulate: false));

        var torch = F.linear(x.to_type(ScalarType.BFloat16), weight).to_type(ScalarType.Float64);
        var magnitudes = x.abs().to_type(ScalarType.Float64).mm(weight.abs().to_type(ScalarType.Float64).t()); // Σ|x·w|
        var bound = torch.abs().mul(Math.Pow(2, -8)).add(magnitudes.mul(2 * k * Math.Pow(2, -24))).add(1e-6);
        var error = output.to_type(ScalarType.Float64).sub(torch).abs();
        var worst = error.sub(bound).max().item<double>();
        Assert.True(worst <= 0, $"{path} vs libtorch bf16 F.linear: an error exceeds its bound by {worst:G3} (largest error {error.max().item<double>():G3})");
    }

    [Fact]
    public void Linear_ReadsAViewAtItsOffset()
    {
        using var scope = NewDisposeScope();
        var generator = new Random(Environment.TickCount);
        var rows = RandomMatrix(generator, 6, 64);
        var x = rows.narrow(0, 2, 3); // contiguous, but starts 128 floats into its storage
        var weight = RandomMatrix(generator, 20, 64);
        var output = empty(3, 20, ScalarType.Float32);

        Assert.True(Kernels.TryLinear(x, weight, null, output, accumulate: false));

        AssertClose(Reference(x, weight, null, null), output, RelativeBound(Kernels.LinearPath(ScalarType.Float32)!.Value, 64), "a view");
    }

    [Fact]
    public void Linear_RefusesWhatItCannotRead()
    {
        using var scope = NewDisposeScope();
        var x = ones(4, 8);
        var output = empty(4, 6);
        Assert.False(Kernels.TryLinear(x, ones(6, 8, ScalarType.Float64), null, output, accumulate: false));
        Assert.False(Kernels.TryLinear(ones(8, 4).t(), ones(6, 8), null, output, accumulate: false)); // not contiguous
        Assert.False(Kernels.TryLinear(x, ones(6, 8), null, output, accumulate: false, NativeLinearPath.Avx512Bf16Dot)); // f32 weights
        Assert.Throws<ArgumentException>(() => Kernels.TryLinear(x, ones(6, 9), null, output, accumulate: false));
    }

    private static bool HostHas(NativeLinearPath path) => path switch
    {
        NativeLinearPath.Avx512Fma => Kernels.Features.HasFlag(NativeCpuFeatures.Avx512),
        NativeLinearPath.Avx512Bf16Dot => Kernels.Features.HasFlag(NativeCpuFeatures.Avx512Bf16),
        _ => true,
    };

    /// <summary>The error bound relative to Σ|x·w|: float32 rounding along the longest chain of sums, and narrowing x to bf16 on the path that does.</summary>
    private static double RelativeBound(NativeLinearPath path, long k) => path switch
    {
        NativeLinearPath.Portable => (k + 4) * Math.Pow(2, -24),
        NativeLinearPath.Avx512Fma => (k / 16 + 16) * Math.Pow(2, -24),
        _ => (k / 16 + 16) * Math.Pow(2, -24) + Math.Pow(2, -8),
    };

    private static Tensor RandomMatrix(Random generator, int rows, int columns)
    {
        var values = new float[rows * columns];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(generator.NextDouble() * 2 - 1);
        }
        return tensor(values, [rows, columns]);
    }

    /// <summary>Σ x·w in float64 over the weights as stored (a 16-bit weight widens to float64 exactly), and Σ|x·w|.</summary>
    private static (double Value, double Magnitude)[,] Reference(Tensor x, Tensor weight, Tensor? bias, Tensor? start)
    {
        long m = x.shape[0], k = x.shape[1], n = weight.shape[0];
        var xs = x.to_type(ScalarType.Float64).data<double>().ToArray();
        var ws = weight.to_type(ScalarType.Float64).data<double>().ToArray();
        var bs = bias?.to_type(ScalarType.Float64).data<double>().ToArray();
        var ss = start?.to_type(ScalarType.Float64).data<double>().ToArray();
        var result = new (double, double)[m, n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (var c = 0; c < k; c++)
                {
                    var product = xs[i * k + c] * ws[j * k + c];
                    sum += product;
                    magnitude += Math.Abs(product);
                }
                result[i, j] = (sum + (bs?[j] ?? 0.0) + (ss?[i * n + j] ?? 0.0), magnitude);
            }
        }
        return result;
    }

    private static void AssertClose((double Value, double Magnitude)[,] expected, Tensor actual, double relativeBound, string what)
    {
        var values = actual.data<float>().ToArray();
        var n = actual.shape[1];
        for (var i = 0; i < expected.GetLength(0); i++)
        {
            for (var j = 0; j < expected.GetLength(1); j++)
            {
                var (value, magnitude) = expected[i, j];
                // Plus the bias and start added in float32 (a few roundings of the result) and a floor for tiny sums.
                var bound = relativeBound * magnitude + 4 * Math.Pow(2, -24) * (Math.Abs(value) + 2) + 1e-6;
                var error = Math.Abs(values[i * n + j] - value);
                Assert.True(error <= bound, $"{what}: y[{i}, {j}] = {values[i * n + j]}, float64 says {value} (|error| {error:G3} > {bound:G3})");
            }
        }
    }
}
