using GqaService.Inference.Sampling;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Sampling;

/// <summary>The sampler's logprobs against a float64 log-softmax of the same raw logits, computed here.</summary>
public sealed class LogprobTests
{
    private const int Vocab = 2000;
    private readonly int _seed = Random.Shared.Next();
    private readonly Random _random;

    public LogprobTests() => _random = new Random(_seed);

    [Fact]
    public void RowsThatAskGetTheRawLogSoftmaxOfTheirTokenAndTopK_BeforeBiasPenaltiesAndTemperature_OthersNothing()
    {
        var rows = Enumerable.Range(0, 12).Select(_ => Enumerable.Range(0, Vocab).Select(_ => (float)((_random.NextDouble() - 0.5) * 10)).ToArray()).ToArray();
        var asked = new int?[rows.Length];
        var batch = new SamplingBatch();
        for (var i = 0; i < rows.Length; i++)
        {
            asked[i] = i % 3 == 2 ? null : _random.Next(0, 21);
            var parameters = new SamplingParameters
            {
                Temperature = i % 2 == 0 ? 0f : 1.5f,
                // A bias and a penalty change the choice, never the reported distribution.
                LogitBias = new Dictionary<int, float> { [_random.Next(Vocab)] = 30f },
                RepetitionPenalty = 1.5f,
            };
            batch.Add(i, parameters, _random.NextDouble(), new SamplingHistory([1, 2, 3], 1), asked[i]);
        }

        SamplerResult result;
        using (var scope = NewDisposeScope())
        using (var sampler = new TensorSampler(Vocab))
        {
            result = sampler.Sample(tensor(rows.SelectMany(r => r).ToArray()).view(rows.Length, Vocab), batch);
        }

        for (var i = 0; i < rows.Length; i++)
        {
            var logprobs = result.Logprobs[i];
            if (asked[i] is not { } k)
            {
                Assert.Null(logprobs);
                continue;
            }
            var reference = LogSoftmax(rows[i]);
            Assert.NotNull(logprobs);
            Assert.True(Math.Abs(reference[result.TokenIds[i]] - logprobs.Logprob) < 1e-9,
                $"seed {_seed}, row {i}: logprob {logprobs.Logprob}, reference {reference[result.TokenIds[i]]}");
            var expectedTop = Enumerable.Range(0, Vocab).OrderByDescending(id => reference[id]).Take(k).ToArray();
            Assert.Equal(k, logprobs.Top.Count);
            for (var j = 0; j < k; j++)
            {
                Assert.True(Math.Abs(reference[expectedTop[j]] - logprobs.Top[j].Logprob) < 1e-9, $"seed {_seed}, row {i}, alternative {j}");
                Assert.True(Math.Abs(reference[logprobs.Top[j].TokenId] - logprobs.Top[j].Logprob) < 1e-9, $"seed {_seed}, row {i}: id {logprobs.Top[j].TokenId} carries another's logprob");
            }
        }
    }

    [Fact]
    public void WhenNoRowAsks_NoLogprobsAreComputed()
    {
        var batch = new SamplingBatch();
        batch.Add(0, SamplingParameters.Greedy, 0);
        using var scope = NewDisposeScope();
        using var sampler = new TensorSampler(8);
        var result = sampler.Sample(tensor(new float[] { 1, 2, 3, 4, 5, 6, 7, 0 }).view(1, 8), batch);
        Assert.False(batch.WantsLogprobs);
        Assert.Equal([6], result.TokenIds);
        Assert.Null(result.Logprobs[0]);
    }

    /// <summary>log p_i = l_i − max − log Σ exp(l_j − max), in float64.</summary>
    internal static double[] LogSoftmax(IReadOnlyList<double> logits)
    {
        var max = logits.Max();
        var logSum = Math.Log(logits.Sum(l => Math.Exp(l - max)));
        return logits.Select(l => l - max - logSum).ToArray();
    }

    private static double[] LogSoftmax(float[] logits) => LogSoftmax(logits.Select(l => (double)l).ToArray());
}
