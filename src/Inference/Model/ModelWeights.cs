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
        TokenEmbedding = tokenEmbedding.DetachFromDisposeScope();
        Layers = layers;
        FinalNorm = finalNorm.DetachFromDisposeScope();
        Classifier = classifier?.DetachFromDisposeScope() ?? TokenEmbedding;
    }

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

    private static void ExpectShape(Tensor tensor, string name, params long[] shape)
    {
        if (!tensor.shape.SequenceEqual(shape))
        {
            throw new ModelConfigException(name, $"expected shape [{string.Join(", ", shape)}], got [{string.Join(", ", tensor.shape)}].");
        }
    }
}
