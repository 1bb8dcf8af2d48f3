using GqaService.Inference.Kernels;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Kernels;

/// <summary>
/// The native linear kernel against a float64 reference computed here from the very weights it read (16-bit weights
/// widened exactly), on fresh random inputs, for every weight dtype, row count and shape class the decoder meets
/// (odd sizes exercise the vector tails). The bound is float32 accumulation's: a few ulps of Σ|x·w| per output.
/// </summary>
[Collection(NativeKernelsCollection.Name)]
public sealed class NativeLinearTests
{
    private static readonly NativeKernels Kernels = NativeKernels.TryLoad(threads: 2, spinMicroseconds: 50, out var reason)
        ?? throw new InvalidOperationException($"the native kernels must load in tests: {reason}");

    public static TheoryData<ScalarType, int, int, int, bool> Cases()
    {
        var cases = new TheoryData<ScalarType, int, int, int, bool>();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16, ScalarType.Float16 })
        {
            cases.Add(dtype, 1, 64, 96, false);
            cases.Add(dtype, 1, 768, 2048, true);
            cases.Add(dtype, 3, 37, 131, true);
            cases.Add(dtype, 16, 256, 200, false);
            cases.Add(dtype, 5, 1000, 7, true);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Linear_MatchesFloat64Reference(ScalarType weightDtype, int m, int k, int n, bool withBias)
    {
        using var scope = NewDisposeScope();
        var generator = new Random(HashCode.Combine(weightDtype, m, k, n, withBias, Environment.TickCount));
        var x = RandomMatrix(generator, m, k);
        var weight = RandomMatrix(generator, n, k).to_type(weightDtype);
        var bias = withBias ? RandomMatrix(generator, 1, n).view(n) : null;
        var output = empty(m, n, ScalarType.Float32);

        Assert.True(Kernels.TryLinear(x, weight, bias, output, accumulate: false));

        AssertClose(Reference(x, weight, bias, start: null), output, x, weight);
    }

    [Fact]
    public void Linear_Accumulates_IntoTheOutput()
    {
        using var scope = NewDisposeScope();
        var generator = new Random(Environment.TickCount);
        var x = RandomMatrix(generator, 2, 300);
        var weight = RandomMatrix(generator, 45, 300).to_type(ScalarType.BFloat16);
        var start = RandomMatrix(generator, 2, 45);
        var output = start.clone();

        Assert.True(Kernels.TryLinear(x, weight, null, output, accumulate: true));

        AssertClose(Reference(x, weight, null, start), output, x, weight);
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

        AssertClose(Reference(x, weight, null, null), output, x, weight);
    }

    [Fact]
    public void Linear_RefusesWhatItCannotRead()
    {
        using var scope = NewDisposeScope();
        var x = ones(4, 8);
        var output = empty(4, 6);
        Assert.False(Kernels.TryLinear(x, ones(6, 8, ScalarType.Float64), null, output, accumulate: false));
        Assert.False(Kernels.TryLinear(ones(8, 4).t(), ones(6, 8), null, output, accumulate: false)); // not contiguous
        Assert.Throws<ArgumentException>(() => Kernels.TryLinear(x, ones(6, 9), null, output, accumulate: false));
    }

    private static Tensor RandomMatrix(Random generator, int rows, int columns)
    {
        var values = new float[rows * columns];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(generator.NextDouble() * 2 - 1);
        }
        return tensor(values, [rows, columns]);
    }

    /// <summary>Σ x·w in float64 over the weights as stored (a 16-bit weight widens to float64 exactly).</summary>
    private static double[,] Reference(Tensor x, Tensor weight, Tensor? bias, Tensor? start)
    {
        long m = x.shape[0], k = x.shape[1], n = weight.shape[0];
        var xs = x.to_type(ScalarType.Float64).data<double>().ToArray();
        var ws = weight.to_type(ScalarType.Float64).data<double>().ToArray();
        var bs = bias?.to_type(ScalarType.Float64).data<double>().ToArray();
        var ss = start?.to_type(ScalarType.Float64).data<double>().ToArray();
        var result = new double[m, n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = ss?[i * n + j] ?? 0.0;
                for (var c = 0; c < k; c++)
                {
                    sum += xs[i * k + c] * ws[j * k + c];
                }
                result[i, j] = sum + (bs?[j] ?? 0.0);
            }
        }
        return result;
    }

    private static void AssertClose(double[,] expected, Tensor actual, Tensor x, Tensor weight)
    {
        var values = actual.data<float>().ToArray();
        long n = actual.shape[1], k = x.shape[1];
        // float32 accumulation: each of k products and sums may round by 2^-24 relative, against Σ|x·w| ≤ k for inputs in (-1, 1).
        var bound = 8 * k * Math.Pow(2, -24) + 1e-6;
        for (var i = 0; i < expected.GetLength(0); i++)
        {
            for (var j = 0; j < expected.GetLength(1); j++)
            {
                var error = Math.Abs(values[i * n + j] - expected[i, j]);
                Assert.True(error <= bound, $"y[{i}, {j}] = {values[i * n + j]}, float64 says {expected[i, j]} (|error| {error:G3} > {bound:G3}; weights {weight.dtype})");
            }
        }
    }
}
