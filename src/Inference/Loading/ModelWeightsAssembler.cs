using GqaService.Inference.Loading.Families;
using GqaService.Inference.Model;
using GqaService.Inference.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Loading;

/// <summary>
/// Builds <see cref="ModelWeights"/> from any <see cref="ITensorReader"/>, reading each tensor once in a fixed order, the
/// tensors the <see cref="ModelFamily"/> names and no others. Every tensor is checked finite as it arrives; a source that
/// lists its tensors (<see cref="ITensorCatalog"/>) must hold none the family leaves unread. Matrices (embedding, projections,
/// classifier) and biases are narrowed to the linear dtype as each arrives, so only one tensor is ever held in float32;
/// norm weights stay float32.
/// </summary>
internal static class ModelWeightsAssembler
{
    /// <param name="linearDtype">Given the config before any tensor is read, names the dtype matrices are kept in; null keeps float32.</param>
    public static ModelWeights Assemble(ModelConfig config, ModelFamily family, ITensorReader reader, string path,
        IProgress<WeightLoadProgress>? progress = null, Func<ModelConfig, ScalarType>? linearDtype = null)
    {
        var weights = AssembleInScope(config, family, reader, path, progress, linearDtype);
        // After the scope below has released every tensor loading made and did not keep.
        NativeHeap.ReleaseFreeMemory();
        return weights;
    }

    private static ModelWeights AssembleInScope(ModelConfig config, ModelFamily family, ITensorReader reader, string path,
        IProgress<WeightLoadProgress>? progress, Func<ModelConfig, ScalarType>? linearDtype)
    {
        if (config.QkvBias != family.QkvBias)
        {
            throw new ModelLoadException(path, $"config q/k/v bias ({config.QkvBias}) disagrees with family '{family.Name}'.");
        }
        long d = config.Dim, q = config.QueryWidth, kv = config.KvWidth, f = config.HiddenDim, v = config.VocabSize;
        var read = new HashSet<string>(StringComparer.Ordinal);
        var total = 2 + config.NumLayers * (family.QkvBias ? 12 : 9) + (config.TiedEmbeddings ? 0 : 1);
        long bytes = 0;
        var dtype = linearDtype?.Invoke(config) ?? ScalarType.Float32;
        // Q8_0: matrices arrive in float32 and are quantised once fused (LayerWeights), the classifier here.
        var quantize = dtype == Precision.WeightDtypeChoice.Q8_0Dtype;
        if (quantize)
        {
            dtype = ScalarType.Float32;
        }
        Tensor Read(string name, params long[] shape)
        {
            var tensor = reader.Read(name, shape);
            read.Add(name);
            RejectNonFinite(tensor, name, reader, path);
            bytes += tensor.NumberOfElements * tensor.ElementSize;
            progress?.Report(new WeightLoadProgress(read.Count, total, bytes));
            return tensor;
        }
        Tensor ReadLinear(string name, params long[] shape)
        {
            var wide = Read(name, shape);
            if (wide.dtype == dtype)
            {
                return wide;
            }
            var narrow = wide.to_type(dtype);
            wide.Dispose();
            if (dtype == ScalarType.Float16)
            {
                // float16 tops out at 65504: a larger weight would become infinity.
                RejectNonFinite(narrow, name, reader, path);
            }
            return narrow;
        }

        // Whatever the constructors below do not keep (including everything built before a failure) dies with the scope.
        using var scope = NewDisposeScope();
        var layers = new List<LayerWeights>(config.NumLayers);
        try
        {
            using var _ = no_grad();
            var embedding = ReadLinear(WeightNames.TokenEmbedding, v, d);
            for (var i = 0; i < config.NumLayers; i++)
            {
                layers.Add(new LayerWeights(
                    Read(WeightNames.AttentionNorm(i), d),
                    ReadLinear(WeightNames.Query(i), q, d),
                    ReadLinear(WeightNames.Key(i), kv, d),
                    ReadLinear(WeightNames.Value(i), kv, d),
                    ReadLinear(WeightNames.Output(i), d, q),
                    Read(WeightNames.FeedForwardNorm(i), d),
                    ReadLinear(WeightNames.Gate(i), f, d),
                    ReadLinear(WeightNames.Down(i), d, f),
                    ReadLinear(WeightNames.Up(i), f, d),
                    family.QkvBias ? (ReadLinear(WeightNames.QueryBias(i), q), ReadLinear(WeightNames.KeyBias(i), kv), ReadLinear(WeightNames.ValueBias(i), kv)) : null,
                    quantize));
            }
            var finalNorm = Read(WeightNames.FinalNorm, d);
            var classifier = config.TiedEmbeddings ? null : ReadLinear(WeightNames.Classifier, v, d);
            RejectUnused(reader, family, config, read, path);
            Tensor? classifierScales = null;
            if (quantize && Precision.Q8_0Quantizer.CanQuantize(d))
            {
                // As llama.cpp: the classifier is Q8_0 too; a tied model keeps its float32 embedding for row lookups beside it.
                var wide = classifier ?? embedding;
                (classifier, classifierScales) = Precision.Q8_0Quantizer.Quantize(wide);
                if (!ReferenceEquals(wide, embedding))
                {
                    wide.Dispose();
                }
            }
            return new ModelWeights(config, embedding, layers, finalNorm, classifier, classifierScales);
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

    private static void RejectNonFinite(Tensor tensor, string name, ITensorReader reader, string path)
    {
        using var finite = isfinite(tensor);
        using var all = finite.all();
        if (!all.item<bool>())
        {
            using var bad = finite.logical_not().sum();
            throw new ModelLoadException(reader is ITensorCatalog catalog ? catalog.FileOf(name) : path,
                $"tensor '{name}' holds {bad.item<long>()} non-finite values (NaN or infinity); refusing a model that would produce garbage.");
        }
    }

    private static void RejectUnused(ITensorReader reader, ModelFamily family, ModelConfig config, HashSet<string> read, string path)
    {
        if (reader is not ITensorCatalog catalog)
        {
            return;
        }
        foreach (var name in catalog.TensorNames)
        {
            if (read.Contains(name))
            {
                continue;
            }
            if (WeightNames.TryParseLayerName(name, out var layer, out var suffix) && layer < config.NumLayers && family.IgnoredLayerTensors.Contains(suffix))
            {
                continue;
            }
            var why = name == WeightNames.Classifier && config.TiedEmbeddings
                ? "the config ties the classifier to the embedding (tie_word_embeddings), yet the checkpoint has its own"
                : $"family '{family.Name}' does not use it";
            throw new ModelLoadException(catalog.FileOf(name), $"unexpected tensor '{name}': {why}; refusing rather than dropping it in silence.");
        }
    }
}
