using GqaService.Inference.Model;

namespace GqaService.Inference.Loading;

/// <summary>
/// Where each tensor of a llama2.c legacy checkpoint lies: the arrays follow the header in a fixed order, each holding one
/// kind of weight for all layers, every matrix row-major [out, in] (PyTorch's Linear layout).
/// </summary>
internal sealed class Llama2cLayout
{
    private readonly Dictionary<string, (long Offset, long Count)> _tensors = new();

    /// <summary>Throws <see cref="OverflowException"/> when the sizes cannot be represented (a nonsense header).</summary>
    public Llama2cLayout(ModelConfig config)
    {
        checked
        {
            long d = config.Dim, kv = config.KvWidth, f = config.HiddenDim, v = config.VocabSize;
            long offset = Llama2cHeader.SizeInBytes;
            void Add(string name, long count)
            {
                _tensors[name] = (offset, count);
                offset += count * sizeof(float);
            }
            void PerLayer(Func<int, string> name, long count)
            {
                for (var i = 0; i < config.NumLayers; i++)
                {
                    Add(name(i), count);
                }
            }

            Add(WeightNames.TokenEmbedding, v * d);
            PerLayer(WeightNames.AttentionNorm, d);
            PerLayer(WeightNames.Query, d * d);
            PerLayer(WeightNames.Key, kv * d);
            PerLayer(WeightNames.Value, kv * d);
            PerLayer(WeightNames.Output, d * d);
            PerLayer(WeightNames.FeedForwardNorm, d);
            PerLayer(WeightNames.Gate, f * d);
            PerLayer(WeightNames.Down, d * f);
            PerLayer(WeightNames.Up, f * d);
            Add(WeightNames.FinalNorm, d);
            // freq_cis_real and freq_cis_imag: precomputed RoPE tables the engine recomputes, so they are skipped.
            Add("freq_cis", 2L * config.MaxContext * (config.HeadDim / 2));
            if (!config.TiedEmbeddings)
            {
                Add(WeightNames.Classifier, v * d);
            }
            ExpectedFileLength = offset;
        }
    }

    public long ExpectedFileLength { get; }

    public bool TryFind(string name, out long offset, out long count)
    {
        var found = _tensors.TryGetValue(name, out var entry);
        (offset, count) = entry;
        return found;
    }
}
