using GqaService.Inference.Model;
using static TorchSharp.torch;

namespace GqaService.Inference.KvCache;

/// <summary>
/// The preallocated K/V memory: per layer, <c>blocks * blockSize</c> token slots of <c>[n_kv_heads, head_dim]</c>.
/// The only owner of the pool tensors; allocated once, written in place, never grown. Engine thread only.
/// </summary>
public sealed class KvPool : IKvStore, IDisposable
{
    private readonly Tensor _keys;   // [L, slots, Hkv, Dh]
    private readonly Tensor _values; // [L, slots, Hkv, Dh]
    private readonly Tensor[] _keyLayers;
    private readonly Tensor[] _valueLayers;

    public KvPool(ModelConfig config, int totalBlocks, int blockSize)
    {
        TotalBlocks = totalBlocks;
        BlockSize = blockSize;
        var slots = (long)totalBlocks * blockSize;
        _keys = zeros(config.NumLayers, slots, config.NumKvHeads, config.HeadDim).DetachFromDisposeScope();
        _values = zeros(config.NumLayers, slots, config.NumKvHeads, config.HeadDim).DetachFromDisposeScope();
        _keyLayers = Enumerable.Range(0, config.NumLayers).Select(l => _keys[l].DetachFromDisposeScope()).ToArray();
        _valueLayers = Enumerable.Range(0, config.NumLayers).Select(l => _values[l].DetachFromDisposeScope()).ToArray();
        BytesPerBlock = config.KvBytesPerToken(sizeof(float)) * blockSize;
    }

    public int TotalBlocks { get; }
    public int BlockSize { get; }
    public long BytesPerBlock { get; }
    public long TotalBytes => BytesPerBlock * TotalBlocks;

    public Tensor Keys(int layer) => _keyLayers[layer];

    public Tensor Values(int layer) => _valueLayers[layer];

    /// <summary>Copies the first <paramref name="slots"/> token slots of one block into another, in every layer (copy-on-write).</summary>
    public void CopyBlock(int sourceBlock, int destinationBlock, int slots)
    {
        using var scope = NewDisposeScope();
        _keys.narrow(1, (long)destinationBlock * BlockSize, slots).copy_(_keys.narrow(1, (long)sourceBlock * BlockSize, slots));
        _values.narrow(1, (long)destinationBlock * BlockSize, slots).copy_(_values.narrow(1, (long)sourceBlock * BlockSize, slots));
    }

    public void Dispose()
    {
        foreach (var t in _keyLayers.Concat(_valueLayers))
        {
            t.Dispose();
        }
        _keys.Dispose();
        _values.Dispose();
    }
}
