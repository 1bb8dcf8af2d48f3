using GqaService.Inference.Model;

namespace GqaService.Inference.Loading;

/// <summary>
/// Where each tensor of a llama2.c legacy checkpoint lies: the arrays follow the header in a fixed order, each holding one
/// kind of weight for all layers, every matrix row-major [out, in] (PyTorch's Linear layout). Offsets are computed, never
/// enumerated per layer, so a nonsense header costs nothing to reject.
/// </summary>
internal sealed class Llama2cLayout
{
    private readonly List<(string Name, bool PerLayer, long Count, long Offset)> _sections = [];
    private readonly int _layers;

    /// <summary>Throws <see cref="OverflowException"/> when the sizes cannot be represented (a nonsense header).</summary>
    public Llama2cLayout(ModelConfig config)
    {
        _layers = config.NumLayers;
        checked
        {
            long d = config.Dim, kv = config.KvWidth, f = config.HiddenDim, v = config.VocabSize;
            long offset = Llama2cHeader.SizeInBytes;
            void Add(string name, bool perLayer, long count)
            {
                _sections.Add((name, perLayer, count, offset));
                offset += (perLayer ? _layers * count : count) * sizeof(float);
            }

            Add(WeightNames.TokenEmbedding, false, v * d);
            Add(WeightNames.AttentionNormSuffix, true, d);
            Add(WeightNames.QuerySuffix, true, d * d);
            Add(WeightNames.KeySuffix, true, kv * d);
            Add(WeightNames.ValueSuffix, true, kv * d);
            Add(WeightNames.OutputSuffix, true, d * d);
            Add(WeightNames.FeedForwardNormSuffix, true, d);
            Add(WeightNames.GateSuffix, true, f * d);
            Add(WeightNames.DownSuffix, true, d * f);
            Add(WeightNames.UpSuffix, true, f * d);
            Add(WeightNames.FinalNorm, false, d);
            // freq_cis_real and freq_cis_imag: precomputed RoPE tables the engine recomputes, so they are skipped.
            Add("freq_cis", false, 2L * config.MaxContext * (config.HeadDim / 2));
            if (!config.TiedEmbeddings)
            {
                Add(WeightNames.Classifier, false, v * d);
            }
            ExpectedFileLength = offset;
        }
    }

    public long ExpectedFileLength { get; }

    public bool TryFind(string name, out long offset, out long count)
    {
        var layered = WeightNames.TryParseLayerName(name, out var layer, out var suffix);
        foreach (var section in _sections)
        {
            if (section.PerLayer && layered && section.Name == suffix && layer >= 0 && layer < _layers)
            {
                (offset, count) = (section.Offset + layer * section.Count * sizeof(float), section.Count);
                return true;
            }
            if (!section.PerLayer && !layered && section.Name == name)
            {
                (offset, count) = (section.Offset, section.Count);
                return true;
            }
        }
        (offset, count) = (0, 0);
        return false;
    }
}
