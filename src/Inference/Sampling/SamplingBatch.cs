namespace GqaService.Inference.Sampling;

/// <summary>
/// What one step samples, in integers and plain numbers: for each sampling row, the scheduled sequence it belongs to and that
/// request's parameters, plus the one uniform draw in [0, 1) its seeded stream gave for this token. Rows of unfinished
/// prefill chunks are absent: nothing is sampled for them, and the decoder computes no logits for them.
/// </summary>
public sealed class SamplingBatch
{
    private readonly List<int> _rows = [];
    private readonly List<double> _temperatures = [];
    private readonly List<long> _topK = [];
    private readonly List<double> _topP = [];
    private readonly List<double> _uniforms = [];
    private readonly List<bool> _greedy = [];

    public int Count => _rows.Count;

    /// <summary>Index into the step's scheduled work of each sampling row, ascending.</summary>
    public IReadOnlyList<int> Rows => _rows;

    /// <summary>True when every row is greedy: the sampler then only takes an argmax.</summary>
    public bool AllGreedy => !_greedy.Contains(false);

    /// <summary>Adds one row; <paramref name="uniform"/> is ignored for greedy parameters.</summary>
    public void Add(int batchRow, SamplingParameters parameters, double uniform)
    {
        if (_rows.Count > 0 && batchRow <= _rows[^1])
        {
            throw new ArgumentException("Sampling rows are added in ascending batch order.", nameof(batchRow));
        }
        var greedy = parameters.IsGreedy;
        _rows.Add(batchRow);
        _greedy.Add(greedy);
        // Greedy rows still go through the shared tensor math, with neutral values, before the argmax replaces their draw.
        _temperatures.Add(greedy ? 1.0 : parameters.Temperature);
        _topK.Add(parameters.TopK);
        // p = 1 means no nucleus at all; +inf keeps every token even where a cumulative sum rounds up to the total early.
        _topP.Add(parameters.TopP >= 1f ? double.PositiveInfinity : parameters.TopP);
        _uniforms.Add(uniform);
    }

    internal double[] Temperatures => [.. _temperatures];
    internal long[] TopK => [.. _topK];
    internal double[] TopP => [.. _topP];
    internal double[] Uniforms => [.. _uniforms];
    internal bool[] Greedy => [.. _greedy];
}
