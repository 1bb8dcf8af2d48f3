using GqaService.Inference.Native;
using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>All parameters of a decoder; the single owner of the weight tensors.</summary>
public sealed class ModelWeights : IDisposable
{
    public ModelConfig Config { get; }
    public Tensor TokenEmbedding { get; }  // [V, D]
    public IReadOnlyList<LayerWeights> Layers { get; }
    public Tensor FinalNorm { get; }       // [D]
    public Tensor Classifier { get; }      // [V, D]; the embedding itself when tied (unless the classifier is Q8_0)
    /// <summary>The classifier's Q8_0 block scales (its quants are <see cref="Classifier"/>), or null when it is a float matrix.</summary>
    public Tensor? ClassifierScales { get; }

    public Q8_0Weight? ClassifierQ8_0 => ClassifierScales is null ? null : new Q8_0Weight(Classifier, ClassifierScales);

    /// <summary>
    /// Takes ownership of every tensor passed in. Pass <paramref name="classifier"/> null for tied embeddings; with
    /// <paramref name="classifierScales"/> the classifier is Q8_0 quants (for a tied model, quantised from the embedding,
    /// which stays float32 for row lookups).
    /// </summary>
    public ModelWeights(ModelConfig config, Tensor tokenEmbedding, IReadOnlyList<LayerWeights> layers, Tensor finalNorm, Tensor? classifier,
        Tensor? classifierScales = null)
    {
        Config = config.Validate();
        if (layers.Count != config.NumLayers)
        {
            throw new ModelConfigException(nameof(config.NumLayers), $"config says {config.NumLayers} layers, weights hold {layers.Count}.");
        }
        ExpectShape(tokenEmbedding, "token embedding", config.VocabSize, config.Dim);
        ExpectShape(finalNorm, "final norm", config.Dim);
        foreach (var layer in layers)
        {
            ExpectShape(layer.QkvProjection, "qkv projection", config.QueryWidth + 2 * config.KvWidth, config.Dim);
            if (config.QkvBias != layer.QkvBias is not null)
            {
                throw new ModelConfigException(nameof(config.QkvBias), config.QkvBias ? "the config has q/k/v biases but a layer has none." : "a layer has q/k/v biases the config does not use.");
            }
            if (layer.QkvBias is { } bias)
            {
                ExpectShape(bias, "qkv bias", config.QueryWidth + 2 * config.KvWidth);
            }
            ExpectShape(layer.OutputProjection, "output projection", config.Dim, config.QueryWidth);
            ExpectShape(layer.GateUpProjection, "gate/up projection", 2 * config.HiddenDim, config.Dim);
            ExpectShape(layer.DownProjection, "down projection", config.Dim, config.HiddenDim);
        }
        if (classifier is not null)
        {
            ExpectShape(classifier, "classifier", config.VocabSize, config.Dim);
        }
        if (classifierScales is not null && classifier is null)
        {
            throw new ModelConfigException("classifier", "Q8_0 classifier scales without a classifier.");
        }
        // Q8_0 matrices are int8 quants with float16 scales; every other matrix shares one float dtype.
        var quantized = new[] { (classifier ?? tokenEmbedding, classifierScales) }
            .Concat(layers.SelectMany(l => new[] { (l.QkvProjection, l.QkvScales), (l.OutputProjection, l.OutputScales), (l.GateUpProjection, l.GateUpScales), (l.DownProjection, l.DownScales) }))
            .ToList();
        if (quantized.Any(pair => pair.Item2 is { } scales && (pair.Item1.dtype != ScalarType.Int8 || scales.dtype != ScalarType.Float16
            || !scales.shape.SequenceEqual([pair.Item1.shape[0], pair.Item1.shape[1] / Q8_0Weight.BlockSize]))))
        {
            throw new ModelConfigException("dtype", "a Q8_0 matrix must be int8 quants [N, K] with float16 scales [N, K/32].");
        }
        var linear = new[] { tokenEmbedding }.Concat(quantized.Where(pair => pair.Item2 is null).Select(pair => pair.Item1));
        if (linear.Select(t => t.dtype).Distinct().Count() != 1 || tokenEmbedding.dtype == ScalarType.Int8)
        {
            throw new ModelConfigException("dtype", "every float linear weight (embedding, projections, classifier) must share one float dtype.");
        }
        if (!new[] { finalNorm }.Concat(layers.SelectMany(l => new[] { l.AttentionNorm, l.FeedForwardNorm })).All(t => t.dtype == ScalarType.Float32))
        {
            throw new ModelConfigException("dtype", "norm weights must be float32.");
        }
        // The classifier (the embedding, when tied) is streamed whole every step, like the layers' matrices; an untied
        // embedding is only looked up row by row, so it stays where it is.
        TokenEmbedding = (classifier is null ? HugePages.MoveOnto(tokenEmbedding) : tokenEmbedding).DetachFromDisposeScope();
        Layers = layers;
        FinalNorm = finalNorm.DetachFromDisposeScope();
        Classifier = classifier is null ? TokenEmbedding : HugePages.MoveOnto(classifier).DetachFromDisposeScope();
        ClassifierScales = classifierScales?.DetachFromDisposeScope();
        _q8_0 = new Dictionary<Tensor, Q8_0Weight>(ReferenceEqualityComparer.Instance);
        if (ClassifierQ8_0 is { } head)
        {
            _q8_0.Add(Classifier, head);
        }
        foreach (var layer in layers)
        {
            foreach (var (weight, transposed, q8_0) in new[] { (layer.QkvProjection, (Tensor?)null, layer.QkvQ8_0), (layer.OutputProjection, layer.OutputProjectionT, layer.OutputQ8_0),
                (layer.GateUpProjection, null, layer.GateUpQ8_0), (layer.DownProjection, layer.DownProjectionT, layer.DownQ8_0) })
            {
                if (q8_0 is { } blocks)
                {
                    _q8_0.Add(weight, blocks);
                    if (transposed is not null)
                    {
                        _q8_0.Add(transposed, blocks);
                    }
                }
            }
        }
    }

    /// <summary>Every Q8_0 matrix by its quants tensor (and the transposed views of them the decoder holds).</summary>
    private readonly Dictionary<Tensor, Q8_0Weight> _q8_0;

    /// <summary>
    /// The Q8_0 weight whose quants are <paramref name="weight"/> (the very tensor object, or the transposed view
    /// <see cref="LayerWeights.OutputProjectionT"/> / <see cref="LayerWeights.DownProjectionT"/> of them); false for a float matrix.
    /// </summary>
    public bool TryGetQ8_0(Tensor weight, out Q8_0Weight q8_0) => _q8_0.TryGetValue(weight, out q8_0);

    /// <summary>Whether any matrix is held as Q8_0 (int8 blocks, multiplied by the native Q8_0 kernel).</summary>
    public bool HasQ8_0 => _q8_0.Count > 0;

    /// <summary>
    /// The float dtype the embedding and every non-Q8_0 matrix are stored and multiplied in; norms are always float32.
    /// With Q8_0 it is float32 (<see cref="ComputePrecision"/> names the mix).
    /// </summary>
    public ScalarType LinearDtype => TokenEmbedding.dtype;

    /// <summary>As /v1/models names it: q8_0 when matrices are Q8_0 (the rest float32), else the float dtype's name.</summary>
    public string ComputePrecision => HasQ8_0 ? Precision.WeightDtypeChoice.Q8_0Name : Precision.WeightDtypeChoice.NameOf(LinearDtype);

    /// <summary>Bytes the weight tensors occupy (a tied classifier counted once; Q8_0 matrices as their int8 quants plus float16 scales).</summary>
    public long Bytes => AllTensors().Sum(t => t.NumberOfElements * t.ElementSize);

    public long ParameterCount =>
        TokenEmbedding.numel() + FinalNorm.numel() + (Config.TiedEmbeddings || ReferenceEquals(Classifier, TokenEmbedding) ? 0 : Classifier.numel())
        + Layers.Sum(l => l.AttentionNorm.numel() + l.QkvProjection.numel() + (l.QkvBias?.numel() ?? 0) + l.OutputProjection.numel()
            + l.FeedForwardNorm.numel() + l.GateUpProjection.numel() + l.DownProjection.numel());

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }
        if (!ReferenceEquals(Classifier, TokenEmbedding))
        {
            Classifier.Dispose();
        }
        ClassifierScales?.Dispose();
        TokenEmbedding.Dispose();
        FinalNorm.Dispose();
    }

    private IEnumerable<Tensor> AllTensors()
    {
        yield return TokenEmbedding;
        yield return FinalNorm;
        if (!ReferenceEquals(Classifier, TokenEmbedding))
        {
            yield return Classifier;
        }
        if (ClassifierScales is not null)
        {
            yield return ClassifierScales;
        }
        foreach (var l in Layers)
        {
            foreach (var scales in new[] { l.QkvScales, l.OutputScales, l.GateUpScales, l.DownScales })
            {
                if (scales is not null)
                {
                    yield return scales;
                }
            }
            yield return l.AttentionNorm;
            yield return l.QkvProjection;
            if (l.QkvBias is { } bias)
            {
                yield return bias;
            }
            yield return l.OutputProjection;
            yield return l.FeedForwardNorm;
            yield return l.GateUpProjection;
            yield return l.DownProjection;
        }
    }

    private static void ExpectShape(Tensor tensor, string name, params long[] shape)
    {
        if (!tensor.shape.SequenceEqual(shape))
        {
            throw new ModelConfigException(name, $"expected shape [{string.Join(", ", shape)}], got [{string.Join(", ", tensor.shape)}].");
        }
    }
}
