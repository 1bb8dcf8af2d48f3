using GqaService.Inference.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Loading;

/// <summary>Builds <see cref="ModelWeights"/> from any <see cref="ITensorReader"/>, reading each tensor once in a fixed order.</summary>
internal static class ModelWeightsAssembler
{
    public static ModelWeights Assemble(ModelConfig config, ITensorReader reader, string path)
    {
        long d = config.Dim, q = config.QueryWidth, kv = config.KvWidth, f = config.HiddenDim, v = config.VocabSize;
        // Whatever the constructors below do not keep (including everything built before a failure) dies with the scope.
        using var scope = NewDisposeScope();
        var layers = new List<LayerWeights>(config.NumLayers);
        try
        {
            using var _ = no_grad();
            var embedding = reader.Read(WeightNames.TokenEmbedding, [v, d]);
            for (var i = 0; i < config.NumLayers; i++)
            {
                layers.Add(new LayerWeights(
                    reader.Read(WeightNames.AttentionNorm(i), [d]),
                    reader.Read(WeightNames.Query(i), [q, d]),
                    reader.Read(WeightNames.Key(i), [kv, d]),
                    reader.Read(WeightNames.Value(i), [kv, d]),
                    reader.Read(WeightNames.Output(i), [d, q]),
                    reader.Read(WeightNames.FeedForwardNorm(i), [d]),
                    reader.Read(WeightNames.Gate(i), [f, d]),
                    reader.Read(WeightNames.Down(i), [d, f]),
                    reader.Read(WeightNames.Up(i), [f, d])));
            }
            var finalNorm = reader.Read(WeightNames.FinalNorm, [d]);
            var classifier = config.TiedEmbeddings ? null : reader.Read(WeightNames.Classifier, [v, d]);
            return new ModelWeights(config, embedding, layers, finalNorm, classifier);
        }
        catch (Exception e)
        {
            // Layers detach their tensors from the scope, so they must be released by hand.
            foreach (var layer in layers)
            {
                layer.Dispose();
            }
            if (e is ModelConfigException inconsistent)
            {
                throw new ModelLoadException(path, $"inconsistent weights: {inconsistent.Message}", e);
            }
            throw;
        }
    }
}
