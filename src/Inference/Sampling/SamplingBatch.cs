namespace GqaService.Inference.Sampling;

/// <summary>
/// What one step samples, in integers and plain numbers: for each sampling row, the scheduled sequence whose logits it reads
/// and that request's parameters, plus the one uniform draw in [0, 1) its seeded stream gave for this token. Rows of
/// unfinished prefill chunks are absent: nothing is sampled for them, and the decoder computes no logits for them. Several
/// rows may read one sequence's logits: the n choices of a request all draw their first token from its one prefill.
/// </summary>
public sealed class SamplingBatch
{
    private readonly List<int> _rows = [];
    private readonly List<int> _logitsRows = [];
    private readonly List<SamplingParameters> _parameters = [];
    private readonly List<double> _uniforms = [];
    private readonly List<SamplingHistory> _histories = [];
    private readonly List<int?> _topLogprobs = [];

    public int Count => _rows.Count;

    /// <summary>Index into the step's scheduled work of each sampling row, ascending (equal for rows sharing logits).</summary>
    public IReadOnlyList<int> Rows => _rows;

    /// <summary>True when some rows share one logits row, which the runner then repeats (see <see cref="LogitsRows"/>).</summary>
    public bool SharesLogits => _logitsRows.Count > 0 && _logitsRows[^1] != _logitsRows.Count - 1;

    /// <summary>True when every row is greedy: the sampler then only takes an argmax.</summary>
    public bool AllGreedy => _parameters.All(p => p.IsGreedy);

    /// <summary>True when some row has a penalty or a bias; otherwise the raw logits are sampled as they are.</summary>
    public bool AdjustsLogits => _parameters.Any(p => p.AdjustsLogits);

    /// <summary>True when some row asked for logprobs; otherwise none are computed.</summary>
    public bool WantsLogprobs => _topLogprobs.Any(k => k is not null);

    /// <summary>Adds one row without penalty history or logprobs; <paramref name="uniform"/> is ignored for greedy parameters.</summary>
    public void Add(int batchRow, SamplingParameters parameters, double uniform) =>
        Add(batchRow, parameters, uniform, SamplingHistory.None, topLogprobs: null);

    /// <summary>
    /// Adds one row. <paramref name="history"/> is what its penalties count (ignored when it has none);
    /// <paramref name="topLogprobs"/>, when set, asks for the chosen token's logprob and that many alternatives.
    /// </summary>
    public void Add(int batchRow, SamplingParameters parameters, double uniform, SamplingHistory history, int? topLogprobs)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (_rows.Count > 0 && batchRow < _rows[^1])
        {
            throw new ArgumentException("Sampling rows are added in ascending batch order.", nameof(batchRow));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(topLogprobs ?? 0, nameof(topLogprobs));
        var sharesPrevious = _rows.Count > 0 && batchRow == _rows[^1];
        _logitsRows.Add(sharesPrevious ? _logitsRows[^1] : (_logitsRows.Count == 0 ? 0 : _logitsRows[^1] + 1));
        _rows.Add(batchRow);
        _parameters.Add(parameters);
        _uniforms.Add(uniform);
        _histories.Add(history);
        _topLogprobs.Add(topLogprobs);
    }

    /// <summary>For each row, which of the decoder's logits rows (one per distinct scheduled row, ascending) it reads.</summary>
    public long[] LogitsRows => [.. _logitsRows.Select(r => (long)r)];

    internal IReadOnlyList<SamplingParameters> Parameters => _parameters;
    internal IReadOnlyList<SamplingHistory> Histories => _histories;
    internal IReadOnlyList<int?> TopLogprobs => _topLogprobs;
    internal double[] Uniforms => [.. _uniforms];
    internal bool[] Greedy => [.. _parameters.Select(p => p.IsGreedy)];
    // Greedy rows still go through the shared tensor math, with neutral values, before the argmax replaces their draw.
    internal double[] Temperatures => [.. _parameters.Select(p => p.IsGreedy ? 1.0 : p.Temperature)];
    internal long[] TopK => [.. _parameters.Select(p => (long)p.TopK)];
    // p = 1 means no nucleus at all; +inf keeps every token even where a cumulative sum rounds up to the total early.
    internal double[] TopP => [.. _parameters.Select(p => p.TopP >= 1f ? double.PositiveInfinity : p.TopP)];
    internal double[] MinP => [.. _parameters.Select(p => (double)p.MinP)];
}
