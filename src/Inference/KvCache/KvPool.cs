using GqaService.Inference.Model;
using GqaService.Inference.Native;
using static TorchSharp.torch;

namespace GqaService.Inference.KvCache;

/// <summary>
/// The preallocated K/V memory: per layer, <c>blocks * blockSize</c> token slots of <c>[n_kv_heads, head_dim]</c>.
/// The only owner of the pool tensors; allocated once, written in place, never grown. Elements are in the
/// <see cref="KvLayout"/>'s dtype: writers convert to it, readers widen from it. Engine thread only.
/// </summary>
public sealed class KvPool : IKvStore, IDisposable
{
    private readonly Tensor _keys;   // [L, slots, Hkv, Dh]
    private readonly Tensor _values; // [L, slots, Hkv, Dh]
    private readonly Tensor[] _keyLayers;
    private readonly Tensor[] _valueLayers;

    /// <summary>A float32 pool (the layout before <c>Inference:KvDtype</c> existed).</summary>
    public KvPool(ModelConfig config, int totalBlocks, int blockSize)
        : this(new KvLayout(config, KvDtype.F32, blockSize), totalBlocks)
    {
    }

    public KvPool(KvLayout layout, int totalBlocks)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalBlocks, 1);
        Layout = layout;
        TotalBlocks = totalBlocks;
        var slots = (long)totalBlocks * layout.BlockSize;
        // Reserved, not touched: a large empty tensor is fresh pages the kernel backs only when a block is first written, so
        // the resident set follows the tokens cached rather than the budget. Nothing reads a slot before it is written: the
        // decoder writes a step's K/V before its attention reads them, and attention reads only slots below each sequence's
        // length (decode padding repeats a valid slot; KvPoolPoisonTests fills the pool with NaN to check it).
        _keys = empty([layout.Layers, slots, layout.KvHeads, layout.HeadDim], layout.ScalarType).DetachFromDisposeScope();
        _values = empty([layout.Layers, slots, layout.KvHeads, layout.HeadDim], layout.ScalarType).DetachFromDisposeScope();
        // Before anything touches them, so first writes fault in huge pages (HugePages says why attention needs them).
        HugePages.Advise(_keys);
        HugePages.Advise(_values);
        _keyLayers = Enumerable.Range(0, layout.Layers).Select(l => _keys[l].DetachFromDisposeScope()).ToArray();
        _valueLayers = Enumerable.Range(0, layout.Layers).Select(l => _values[l].DetachFromDisposeScope()).ToArray();
    }

    public KvLayout Layout { get; }
    public int TotalBlocks { get; }
    public int BlockSize => Layout.BlockSize;
    public long BytesPerBlock => Layout.BytesPerBlock;
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
