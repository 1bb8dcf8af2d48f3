using GqaService.Inference.Engine;
using GqaService.Inference.Model;
using static TorchSharp.torch;

namespace GqaService.Inference.Loading;

/// <summary>
/// Converts a loaded model to fewer K/V heads the way Ainslie et al. (2023, "GQA") convert a multi-head checkpoint: the
/// <c>n_kv_heads</c> K and V projection heads are split into <c>N</c> consecutive groups and each group is replaced by the
/// mean of its heads' rows (and biases). Query head <c>h</c> then attends to pooled head <c>h / (n_heads / N)</c>, which
/// is the group its own K/V head fell into, so queries are reassigned in order. Loader-independent: it runs on the loaded
/// weights, before the decoder and the KV pool are built, so the pool, memory figures and limits all see the new count.
/// </summary>
/// <remarks>
/// Both RoPE row layouts keep a head's <c>head_dim</c> rows contiguous (llama2.c and GGUF pair rows 2i and 2i+1, Hugging
/// Face's conversion permutes rows only inside each head so that rows i and i + d/2 pair up). The permutation is the same
/// for every head, so averaging row r of each head in a group is the same operation in either layout, and a pooled head
/// keeps the pairing its layout's rotary embedding expects. No permutation back and forth is needed.
/// Without the paper's uptraining step (about 5% of the pre-training compute) the pooled model is only an approximation;
/// the perplexity endpoint measures how far off it is.
/// </remarks>
public static class KvHeadRegrouping
{
    /// <summary>
    /// The model with <paramref name="kvHeads"/> K/V heads. 0, or the model's own count, returns <paramref name="model"/>
    /// itself, untouched. Otherwise the returned model owns new weights and <paramref name="model"/> is disposed.
    /// </summary>
    /// <exception cref="ModelLoadException"><paramref name="kvHeads"/> does not divide the model's K/V head count (the model is disposed).</exception>
    public static LoadedModel Apply(LoadedModel model, int kvHeads)
    {
        var config = model.Weights.Config;
        if (kvHeads == 0 || kvHeads == config.NumKvHeads)
        {
            return model;
        }
        if (kvHeads < 0 || config.NumKvHeads % kvHeads != 0)
        {
            model.Dispose();
            throw new ModelLoadException(model.Description.Source,
                $"Inference:KvHeads = {kvHeads} must divide the model's {config.NumKvHeads} K/V heads ({config.NumHeads} query heads); possible: {string.Join(", ", Divisors(config.NumKvHeads))}.");
        }
        if (model.Weights.HasQ8_0)
        {
            model.Dispose();
            throw new ModelLoadException(model.Description.Source,
                $"Inference:KvHeads = {kvHeads} pools K/V heads of float weights; it cannot be combined with Inference:WeightDtype = q8_0.");
        }
        var regroupedConfig = config with { NumKvHeads = kvHeads };
        ModelWeights weights;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var layers = model.Weights.Layers.Select(layer => Regroup(layer, config, kvHeads)).ToList();
            var old = model.Weights;
            // Aliases share storage: the new owner keeps the tensors alive after the old one lets go of its handles.
            weights = new ModelWeights(regroupedConfig, old.TokenEmbedding.alias(), layers, old.FinalNorm.alias(),
                config.TiedEmbeddings ? null : old.Classifier.alias());
        }
        model.Dispose();
        var description = model.Description with
        {
            Config = regroupedConfig,
            ParameterCount = weights.ParameterCount,
            RegroupedFromKvHeads = config.NumKvHeads,
            Notes = [.. model.Description.Notes,
                $"K/V heads regrouped at load from {config.NumKvHeads} to {kvHeads} by mean pooling (Inference:KvHeads), without uptraining: outputs differ from the checkpoint's."],
        };
        return new LoadedModel(weights, model.Tokenizer, description);
    }

    /// <summary>
    /// Mean of each group of <paramref name="groups"/> consecutive heads of a K or V projection [heads * headDim, ...]
    /// (a weight or a bias): [groups * headDim, ...].
    /// </summary>
    public static Tensor PoolHeads(Tensor projection, int heads, int headDim, int groups)
    {
        var rest = projection.shape.Skip(1).ToArray();
        var grouped = projection.reshape([groups, heads / groups, headDim, .. rest]);
        return grouped.mean([1L]).reshape([(long)groups * headDim, .. rest]);
    }

    private static LayerWeights Regroup(LayerWeights layer, ModelConfig config, int kvHeads)
    {
        long q = config.QueryWidth, kv = config.KvWidth, f = config.HiddenDim;
        var qkv = layer.QkvProjection;
        var wk = PoolHeads(qkv.narrow(0, q, kv), config.NumKvHeads, config.HeadDim, kvHeads);
        var wv = PoolHeads(qkv.narrow(0, q + kv, kv), config.NumKvHeads, config.HeadDim, kvHeads);
        (Tensor, Tensor, Tensor)? biases = layer.QkvBias is { } bias
            ? (bias.narrow(0, 0, q),
                PoolHeads(bias.narrow(0, q, kv), config.NumKvHeads, config.HeadDim, kvHeads),
                PoolHeads(bias.narrow(0, q + kv, kv), config.NumKvHeads, config.HeadDim, kvHeads))
            : null;
        return new LayerWeights(layer.AttentionNorm.alias(), qkv.narrow(0, 0, q), wk, wv, layer.OutputProjection.alias(),
            layer.FeedForwardNorm.alias(), layer.GateUpProjection.narrow(0, 0, f), layer.DownProjection.alias(),
            layer.GateUpProjection.narrow(0, f, f), biases);
    }

    private static IEnumerable<int> Divisors(int n) => Enumerable.Range(1, n).Where(d => n % d == 0);
}
