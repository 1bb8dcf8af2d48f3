using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Sampling;

/// <summary>
/// Picks every sampling row's next token in libtorch, on the step's <c>[rows, vocab]</c> logits, and copies out only the
/// chosen ids (and, for the rows that asked, their logprobs). Rows with a penalty or a bias first have their logits
/// adjusted in float64 (<see cref="LogitAdjuster"/>). Greedy rows take the argmax (ties to the lowest id, NaN never wins);
/// when every row is greedy and none is adjusted, <see cref="GreedyArgmax"/> reads the float32 logits in place instead.
/// The others follow one documented scheme in float64: divide by the temperature, sort descending (stable, so ties go to
/// the lowest id), drop the tokens below <c>min_p</c> of the most likely one's probability, keep the <c>top_k</c> most
/// likely, then the nucleus (each token whose predecessors hold less than <c>top_p</c> of the remaining mass), and invert
/// the cumulative distribution at <c>u × mass</c>, where <c>u</c> is the request's own next uniform draw. The only
/// randomness is that per-request stream, so the same seed gives the same ids whatever else shares the batch.
/// Logprobs are the log-softmax of the raw logits (before bias, penalties and temperature), as OpenAI reports them.
/// Holds its constant Scalars and the vocabulary's position row for its lifetime (no implicit Scalar per step);
/// engine thread only.
/// </summary>
public sealed class TensorSampler : IDisposable
{
    private readonly int _vocabSize;
    private readonly Scalar _one = 1;
    private readonly Scalar _minusOne = -1;
    private readonly Scalar _zero = 0.0;
    private readonly Tensor _positions;
    private readonly LogitAdjuster _adjuster;

    public TensorSampler(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        _vocabSize = vocabSize;
        var positions = new long[vocabSize];
        for (var i = 0; i < vocabSize; i++)
        {
            positions[i] = i;
        }
        _positions = tensor(positions).unsqueeze(0).DetachFromDisposeScope(); // [1, V]
        _adjuster = new LogitAdjuster(vocabSize);
    }

    /// <summary>
    /// The chosen id of each row of <paramref name="batch"/>, and its logprobs where asked; row i of
    /// <paramref name="logits"/> (<c>[batch.Count, vocab]</c>) holds sampling row i's logits. Temporaries are released
    /// before it returns.
    /// </summary>
    public SamplerResult Sample(Tensor logits, SamplingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(batch);
        if (logits.dim() != 2 || logits.shape[0] != batch.Count || logits.shape[1] != _vocabSize)
        {
            throw new ArgumentException($"Expected logits [{batch.Count}, {_vocabSize}]; got [{string.Join(", ", logits.shape)}].", nameof(logits));
        }
        if (batch.Count == 0)
        {
            return new SamplerResult([], []);
        }
        using var scope = NewDisposeScope();
        if (batch.AllGreedy && !batch.AdjustsLogits && GreedyArgmax.CanRead(logits))
        {
            // The common case (every row greedy, nothing to adjust): read the logits in place, no libtorch reduction.
            var greedy = GreedyArgmax.Rows(logits);
            return new SamplerResult(greedy, batch.WantsLogprobs ? Logprobs(logits, ChosenIds(greedy), batch) : new TokenLogprobs?[batch.Count]);
        }
        var adjusted = batch.AdjustsLogits ? _adjuster.Adjust(logits, batch) : logits;
        var greedyIds = adjusted.nan_to_num(nan: double.NegativeInfinity).argmax(1, keepdim: true); // [R, 1]
        var chosen = batch.AllGreedy ? greedyIds : where(tensor(batch.Greedy).unsqueeze(1), greedyIds, Draw(adjusted, batch));
        var ids = Array.ConvertAll(chosen.flatten().data<long>().ToArray(), id => (int)id);
        return new SamplerResult(ids, batch.WantsLogprobs ? Logprobs(logits, chosen, batch) : new TokenLogprobs?[batch.Count]);
    }

    private Tensor Draw(Tensor logits, SamplingBatch batch)
    {
        var count = batch.Count;
        var scaled = logits.to(ScalarType.Float64).nan_to_num(nan: double.NegativeInfinity).div(tensor(batch.Temperatures).view(count, 1));
        var (sorted, order) = scaled.sort(1, descending: true, stable: true);
        // Unnormalised weights, largest first: exp(l - max) is 1 for the leader and cannot overflow. It is also each
        // token's probability relative to the leader's, which is what min_p compares.
        var weights = sorted.add(sorted.narrow(1, 0, 1), _minusOne).exp_();
        weights.masked_fill_(weights.lt(tensor(batch.MinP).view(count, 1)), _zero);
        var topK = tensor(batch.TopK.Select(k => k > 0 && k < _vocabSize ? k : _vocabSize).ToArray()).view(count, 1);
        weights.masked_fill_(_positions.ge(topK), _zero);
        var cumulative = weights.cumsum(1);
        var nucleusMass = tensor(batch.TopP).view(count, 1).mul(cumulative.narrow(1, _vocabSize - 1, 1));
        weights.masked_fill_(cumulative.add(weights, _minusOne).ge(nucleusMass), _zero);
        cumulative = weights.cumsum(1);
        var target = tensor(batch.Uniforms).view(count, 1).mul(cumulative.narrow(1, _vocabSize - 1, 1));
        var position = searchsorted(cumulative, target, right: true);
        // Rounding can put the target at (or a hair above) the total; the last kept token is then the right answer.
        var lastKept = weights.gt(_zero).sum(1, keepdim: true).sub(_one);
        return order.gather(1, position.minimum(lastKept));
    }

    /// <summary>The chosen ids as the <c>[rows, 1]</c> tensor <see cref="Logprobs"/> gathers with, in the caller's scope.</summary>
    private static Tensor ChosenIds(int[] ids) => tensor(Array.ConvertAll(ids, id => (long)id)).view(ids.Length, 1);

    /// <summary>Log-softmax of the raw logits, in float64, for the rows that asked only: the chosen token's and the top k.</summary>
    private static TokenLogprobs?[] Logprobs(Tensor logits, Tensor chosen, SamplingBatch batch)
    {
        var asking = Enumerable.Range(0, batch.Count).Where(i => batch.TopLogprobs[i] is not null).ToArray();
        var rows = tensor(asking.Select(i => (long)i).ToArray());
        var logprobs = logits.index_select(0, rows).to(ScalarType.Float64).log_softmax(1); // [A, V]
        var chosenLogprobs = logprobs.gather(1, chosen.index_select(0, rows)).flatten().data<double>().ToArray();
        var k = asking.Max(i => batch.TopLogprobs[i]!.Value);
        double[] topValues = [];
        long[] topIds = [];
        if (k > 0)
        {
            var (values, indices) = logprobs.topk(k, 1, largest: true, sorted: true);
            topValues = values.flatten().data<double>().ToArray();
            topIds = indices.flatten().data<long>().ToArray();
        }
        var result = new TokenLogprobs?[batch.Count];
        for (var a = 0; a < asking.Length; a++)
        {
            var row = asking[a];
            var top = new TokenLogprob[batch.TopLogprobs[row]!.Value];
            for (var j = 0; j < top.Length; j++)
            {
                top[j] = new TokenLogprob((int)topIds[a * k + j], topValues[a * k + j]);
            }
            result[row] = new TokenLogprobs(chosenLogprobs[a], top);
        }
        return result;
    }

    public void Dispose()
    {
        _adjuster.Dispose();
        _positions.Dispose();
        _one.Dispose();
        _minusOne.Dispose();
        _zero.Dispose();
    }
}
