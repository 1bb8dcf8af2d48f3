using GqaService.Inference.Sampling;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Sampling;

/// <summary>
/// The in-place greedy argmax against a float64 reference written here (the lowest id among the largest non-NaN values),
/// and against libtorch's <c>nan_to_num(-inf).argmax</c> where their semantics coincide, on fresh random rows of lengths
/// around the vector width and vocabulary sizes, with planted ties, NaNs and infinities.
/// </summary>
public sealed class GreedyArgmaxTests
{
    private readonly int _seed = Random.Shared.Next();
    private readonly Random _random;

    public GreedyArgmaxTests() => _random = new Random(_seed);

    public static TheoryData<int> Lengths => [1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 512, 32_000, 32_003];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void EveryRowIsTheReferenceArgmax_WithTiesNaNsAndInfinities(int vocab)
    {
        var rows = new List<float[]>();
        for (var i = 0; i < 12; i++)
        {
            var row = RandomRow(vocab);
            switch (i % 6)
            {
                case 1: // a tie of the maximum at two random places
                    var tie = row.Max();
                    row[_random.Next(vocab)] = tie;
                    row[_random.Next(vocab)] = tie;
                    break;
                case 2: // NaNs scattered, one at the current maximum's place
                    row[Array.IndexOf(row, row.Max())] = float.NaN;
                    for (var k = 0; k < 1 + vocab / 10; k++)
                    {
                        row[_random.Next(vocab)] = float.NaN;
                    }
                    break;
                case 3: // −∞ bans (logit_bias −100 style) and a +∞
                    for (var k = 0; k < 1 + vocab / 4; k++)
                    {
                        row[_random.Next(vocab)] = float.NegativeInfinity;
                    }
                    row[_random.Next(vocab)] = float.PositiveInfinity;
                    break;
                case 4: // nothing above −∞: only bans and NaNs
                    for (var k = 0; k < vocab; k++)
                    {
                        row[k] = _random.Next(3) == 0 ? float.NaN : float.NegativeInfinity;
                    }
                    break;
                case 5: // all equal: the lowest id
                    Array.Fill(row, (float)_random.NextDouble());
                    break;
            }
            rows.Add(row);
        }

        using var scope = NewDisposeScope();
        var logits = tensor(rows.SelectMany(r => r).ToArray()).view(rows.Count, vocab);
        Assert.True(GreedyArgmax.CanRead(logits));

        var ids = GreedyArgmax.Rows(logits);

        var expected = rows.Select(Reference).ToArray();
        Assert.True(expected.SequenceEqual(ids), $"seed {_seed}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", ids)}]");
    }

    [Theory]
    [InlineData(1, 512)]
    [InlineData(16, 32_000)]
    public void AgreesWithLibtorchOnFiniteLogits(int rowCount, int vocab)
    {
        var rows = Enumerable.Range(0, rowCount).Select(_ => RandomRow(vocab)).ToArray();
        rows[0][_random.Next(vocab)] = rows[0].Max(); // a tie, which libtorch also sends to the lowest id

        using var scope = NewDisposeScope();
        var logits = tensor(rows.SelectMany(r => r).ToArray()).view(rowCount, vocab);
        var libtorch = logits.nan_to_num(nan: double.NegativeInfinity).argmax(1).data<long>().ToArray().Select(id => (int)id);

        Assert.Equal(libtorch, GreedyArgmax.Rows(logits));
    }

    [Fact]
    public void OnlyContiguousFloat32LogitsAreReadInPlace()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(RandomRow(64 * 3)).view(3, 64);

        Assert.False(GreedyArgmax.CanRead(logits.t()));
        Assert.False(GreedyArgmax.CanRead(logits.to_type(ScalarType.Float64)));
        Assert.False(GreedyArgmax.CanRead(logits.flatten()));
        Assert.Throws<ArgumentException>(() => GreedyArgmax.Rows(logits.t()));
        // A narrowed block of whole rows is contiguous with a storage offset: read from its own first element.
        var tail = logits.narrow(0, 1, 2);
        Assert.True(GreedyArgmax.CanRead(tail));
        Assert.Equal([Reference(tail[0].data<float>().ToArray()), Reference(tail[1].data<float>().ToArray())], GreedyArgmax.Rows(tail));
    }

    /// <summary>The lowest id among the largest non-NaN values, compared in float64; a row of NaN only gives id 0.</summary>
    private static int Reference(float[] row)
    {
        var best = -1;
        for (var i = 0; i < row.Length; i++)
        {
            if (!float.IsNaN(row[i]) && (best < 0 || (double)row[i] > row[best]))
            {
                best = i;
            }
        }
        return Math.Max(best, 0);
    }

    private float[] RandomRow(int vocab) => Enumerable.Range(0, vocab).Select(_ => (float)((_random.NextDouble() - 0.5) * 16)).ToArray();
}
