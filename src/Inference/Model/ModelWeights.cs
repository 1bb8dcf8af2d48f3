using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>All parameters of a decoder; the single owner of the weight tensors.</summary>
public sealed class ModelWeights : IDisposable
{
    public ModelConfig Config { get; }
    public Tensor TokenEmbedding { get; }  // [V, D]
    public IReadOnlyList<LayerWeights> Layers { get; }
    public Tensor FinalNorm { get; }       // [D]
    public Tensor Classifier { get; }      // [V, D]; the embedding itself when tied

    /// <summary>Takes ownership of every tensor passed in. Pass <paramref name="classifier"/> null for tied embeddings.</summary>
    public ModelWeights(ModelConfig config, Tensor tokenEmbedding, IReadOnlyList<LayerWeights> layers, Tensor finalNorm, Tensor? classifier)
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
        var linear = new[] { tokenEmbedding, classifier ?? tokenEmbedding }
            .Concat(layers.SelectMany(l => new[] { l.QkvProjection, l.OutputProjection, l.GateUpProjection, l.DownProjection }));
        if (linear.Select(t => t.dtype).Distinct().Count() != 1)
        {
            throw new ModelConfigException("dtype", "every linear weight (embedding, projections, classifier) must share one dtype.");
        }
        if (!new[] { finalNorm }.Concat(layers.SelectMany(l => new[] { l.AttentionNorm, l.FeedForwardNorm })).All(t => t.dtype == ScalarType.Float32))
        {
            throw new ModelConfigException("dtype", "norm weights must be float32.");
        }
        TokenEmbedding = tokenEmbedding.DetachFromDisposeScope();
        Layers = layers;
        FinalNorm = finalNorm.DetachFromDisposeScope();
        Classifier = classifier?.DetachFromDisposeScope() ?? TokenEmbedding;
    }

    /// <summary>The dtype the embedding, projections and classifier are stored and multiplied in; norms are always float32.</summary>
    public ScalarType LinearDtype => TokenEmbedding.dtype;

    /// <summary>Bytes the weight tensors occupy (a tied classifier counted once).</summary>
    public long Bytes => AllTensors().Sum(t => t.NumberOfElements * t.ElementSize);

    public long ParameterCount =>
        TokenEmbedding.numel() + FinalNorm.numel() + (ReferenceEquals(Classifier, TokenEmbedding) ? 0 : Classifier.numel())
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
        foreach (var l in Layers)
        {
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
