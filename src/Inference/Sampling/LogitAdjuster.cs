using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Sampling;

/// <summary>
/// The logit adjustments of a step's rows, on tensors in float64: <c>logit_bias</c> added (the extreme values are absolute,
/// whatever the model's logit scale: −100 bans a token, and a row with +100 entries may choose only among those), then the
/// repetition penalty
/// (Hugging Face's: over prompt and output, a positive logit divided by it, a negative one multiplied), then OpenAI's
/// frequency and presence penalties (over the output: <c>logit − count × frequency − [count &gt; 0] × presence</c>).
/// Per-row values travel as <c>[rows, 1]</c> tensors, token counts as one <c>bincount</c> over flat row·vocab indices; a row
/// without adjustments passes through with neutral values. Holds its Scalars for its lifetime; engine thread only.
/// </summary>
internal sealed class LogitAdjuster(int vocabSize) : IDisposable
{
    private readonly Scalar _one = 1;
    private readonly Scalar _minusOne = -1;
    private readonly Scalar _zero = 0.0;
    private readonly Scalar _negativeInfinity = double.NegativeInfinity;
    private readonly Scalar _maxBias = (double)SamplingParameters.MaxLogitBias;
    private readonly Scalar _minusMaxBias = -(double)SamplingParameters.MaxLogitBias;

    /// <summary>The adjusted <c>[rows, vocab]</c> float64 logits (NaN as −∞); a new tensor in the caller's dispose scope.</summary>
    public Tensor Adjust(Tensor logits, SamplingBatch batch)
    {
        var count = batch.Count;
        var parameters = batch.Parameters;
        var adjusted = logits.to(ScalarType.Float64).nan_to_num(nan: double.NegativeInfinity);
        if (parameters.Any(p => p.LogitBias.Count > 0))
        {
            var (indices, values) = BiasEntries(parameters);
            var bias = zeros([(long)count * vocabSize], ScalarType.Float64).index_copy_(0, tensor(indices), tensor(values)).view(count, vocabSize);
            adjusted = adjusted.add(bias, _one);
            adjusted.masked_fill_(bias.le(_minusMaxBias), _negativeInfinity);
            var forcing = tensor(parameters.Select(p => p.LogitBias.Values.Any(v => v >= SamplingParameters.MaxLogitBias)).ToArray()).view(count, 1);
            adjusted.masked_fill_(bias.lt(_maxBias).logical_and(forcing), _negativeInfinity);
        }
        if (parameters.Any(p => p.RepetitionPenalty != 1f))
        {
            var seen = Counts(batch, outputOnly: false).gt(_zero);
            var penalty = tensor(parameters.Select(p => (double)p.RepetitionPenalty).ToArray()).view(count, 1);
            var penalised = where(adjusted.gt(_zero), adjusted.div(penalty), adjusted.mul(penalty));
            adjusted = where(seen, penalised, adjusted);
        }
        if (parameters.Any(p => p.PenalisesOutput))
        {
            var counts = Counts(batch, outputOnly: true).to(ScalarType.Float64);
            var frequency = tensor(parameters.Select(p => (double)p.FrequencyPenalty).ToArray()).view(count, 1);
            var presence = tensor(parameters.Select(p => (double)p.PresencePenalty).ToArray()).view(count, 1);
            var penalty = counts.mul(frequency).add(counts.gt(_zero).to(ScalarType.Float64).mul(presence), _one);
            adjusted = adjusted.add(penalty, _minusOne);
        }
        return adjusted;
    }

    /// <summary>How often each token occurs in each row's history (prompt and output, or the output alone), <c>[rows, vocab]</c>.</summary>
    private Tensor Counts(SamplingBatch batch, bool outputOnly)
    {
        var flat = new List<long>();
        for (var row = 0; row < batch.Count; row++)
        {
            var parameters = batch.Parameters[row];
            var wanted = outputOnly ? parameters.PenalisesOutput : parameters.RepetitionPenalty != 1f;
            if (!wanted)
            {
                continue;
            }
            var (tokens, promptLength) = batch.Histories[row];
            for (var i = outputOnly ? promptLength : 0; i < tokens.Count; i++)
            {
                flat.Add((long)row * vocabSize + tokens[i]);
            }
        }
        var size = (long)batch.Count * vocabSize;
        return tensor(flat.ToArray()).bincount(null, size).view(batch.Count, vocabSize);
    }

    private (long[] Indices, double[] Values) BiasEntries(IReadOnlyList<SamplingParameters> parameters)
    {
        var indices = new List<long>();
        var values = new List<double>();
        for (var row = 0; row < parameters.Count; row++)
        {
            foreach (var (token, bias) in parameters[row].LogitBias)
            {
                indices.Add((long)row * vocabSize + token);
                values.Add(bias);
            }
        }
        return ([.. indices], [.. values]);
    }

    public void Dispose()
    {
        _one.Dispose();
        _minusOne.Dispose();
        _zero.Dispose();
        _negativeInfinity.Dispose();
        _maxBias.Dispose();
        _minusMaxBias.Dispose();
    }
}
