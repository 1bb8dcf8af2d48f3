using GqaService.Inference.Kernels;
using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// The decoder's layers run by the native fused layer kernel (gqa_decoder_layer): one call per layer instead of the
/// ~30 libtorch calls the same layer costs, which at one stream were a third of the step. It takes steps of up to
/// <see cref="MaxRows"/> tokens, decode and prefill rows alike: a prefill token attends to its context up to itself,
/// which is what the causal mask gives the libtorch path. Its matmuls are the native linear kernel's at any row count
/// (the per-operation row limits of <see cref="NativeLinearPolicy"/> weigh a bare matmul, not a fused layer). Holds the layers' weight addresses (the decoder owns the
/// tensors, and outlives this); the KV pool's are taken per step. Call on the engine thread.
/// </summary>
internal sealed class FusedDecoderLayers
{
    /// <summary>
    /// The most tokens a fused step takes: every decode batch and every prefill chunk the engine's default limits make
    /// (Inference:MaxBatchedTokens 512). Measured with the step verb (random100M, 2-core AMD EPYC, 2026-12-02), a prefill of
    /// 256 / 512 / 1000 tokens took 170 / 356 / 885 ms fused against 286 / 575 / 3,926 ms operation by operation in f32,
    /// and 98 / 205 / 472 against 147 / 304 / 3,811 ms in bf16: per-token attention over the paged pool costs less than
    /// libtorch's masked attention over a gathered copy, and the layer's ~30 calls per chunk are gone. Longer steps (a
    /// configured batch past this, or scoring a long text) run operation by operation.
    /// </summary>
    public const int MaxRows = 1024;

    private readonly NativeKernels _kernels;
    private readonly ModelConfig _config;
    private readonly NativeLayer[] _layers;
    /// <summary>The rope tables' addresses ([maxContext, headDim/2] float32 each): the decoder owns them, as it owns the weights.</summary>
    private readonly nint _ropeCos;
    private readonly nint _ropeSin;
    private readonly int _maxRows;

    private unsafe FusedDecoderLayers(NativeKernels kernels, ModelConfig config, NativeLayer[] layers, RotaryEmbedding rope, int maxRows)
    {
        _kernels = kernels;
        _config = config;
        _layers = layers;
        _ropeCos = (nint)TensorMemory.Address(rope.CosTable);
        _ropeSin = (nint)TensorMemory.Address(rope.SinTable);
        _maxRows = maxRows;
    }

    /// <summary>
    /// The fused layers for <paramref name="weights"/>, or null when the kernel cannot serve them: no vector path for the
    /// weights' dtype (<paramref name="nativeLinearMaxRows"/> 0: the portable C would be slower than libtorch), a q/k/v bias without its float32 copy, or a head
    /// layout the attention kernel does not take. <paramref name="nativeQkvBiases"/>: each layer's float32 bias or null.
    /// </summary>
    public static unsafe FusedDecoderLayers? TryCreate(ModelWeights weights, NativeKernels kernels, RotaryEmbedding rope,
        IReadOnlyList<Tensor?> nativeQkvBiases, int nativeLinearMaxRows)
    {
        var config = weights.Config;
        var maxRows = nativeLinearMaxRows == 0 ? 0 : MaxRows;
        if (maxRows == 0 || !kernels.SupportsDecodeAttention(ScalarType.Float32, config.NumHeads, config.NumKvHeads, config.HeadDim))
        {
            return null;
        }
        var layers = new NativeLayer[config.NumLayers];
        for (var i = 0; i < layers.Length; i++)
        {
            var w = weights.Layers[i];
            if (w.QkvBias is not null && nativeQkvBiases[i] is null)
            {
                return null;
            }
            layers[i] = new NativeLayer
            {
                Dim = config.Dim,
                Heads = config.NumHeads,
                KvHeads = config.NumKvHeads,
                HeadDim = config.HeadDim,
                HiddenDim = config.HiddenDim,
                NormEps = config.NormEps,
                RopeInterleaved = config.RopeLayout == RopeLayout.Interleaved ? 1 : 0,
                AttentionNorm = (nint)TensorMemory.Address(w.AttentionNorm),
                FeedForwardNorm = (nint)TensorMemory.Address(w.FeedForwardNorm),
                Qkv = Matrix(weights, w.QkvProjection),
                Output = Matrix(weights, w.OutputProjection),
                GateUp = Matrix(weights, w.GateUpProjection),
                Down = Matrix(weights, w.DownProjection),
                QkvBias = nativeQkvBiases[i] is { } bias ? (nint)TensorMemory.Address(bias) : 0,
            };
        }
        return new FusedDecoderLayers(kernels, config, layers, rope, maxRows);
    }

    private static unsafe NativeLayerMatrix Matrix(ModelWeights weights, Tensor weight) => weights.TryGetQ8_0(weight, out var q8_0)
        ? new NativeLayerMatrix { Data = (nint)TensorMemory.Address(q8_0.Quants), Q8_0Scales = (nint)TensorMemory.Address(q8_0.Scales), Dtype = NativeLayerMatrix.Q8_0Dtype }
        : new NativeLayerMatrix { Data = (nint)TensorMemory.Address(weight), Dtype = (int)weight.dtype };

    /// <summary>Whether a step of <paramref name="rows"/> tokens over <paramref name="kv"/> runs fused.</summary>
    public bool Takes(int rows, IKvStore kv)
    {
        var keys = kv.Keys(0);
        return rows <= _maxRows && _kernels.SupportsDecodeAttention(keys.dtype, _config.NumHeads, _config.NumKvHeads, _config.HeadDim);
    }

    /// <summary>
    /// Runs every layer over the residual stream <paramref name="x"/> ([N, D] float32, updated in place), writing the
    /// step's K/V into <paramref name="kv"/>. The batch's slots and positions are checked first, since C trusts them.
    /// </summary>
    public unsafe void Run(Tensor x, ForwardBatch batch, IKvStore kv)
    {
        var rows = batch.TokenIds.Length;
        if (x.dtype != ScalarType.Float32 || !x.is_contiguous() || x.size(0) != rows || x.size(1) != _config.Dim)
        {
            throw new ArgumentException("the fused layers take a contiguous float32 [N, D] residual stream.", nameof(x));
        }
        var (slots, offsets, lengths) = RowContexts(batch);
        var poolSlots = (int)Math.Min(kv.Keys(0).size(0), int.MaxValue);
        if (slots.AsSpan().IndexOfAnyExceptInRange(0, poolSlots - 1) >= 0 || batch.WriteSlots.AsSpan().IndexOfAnyExceptInRange(0, poolSlots - 1) >= 0
            || batch.Positions.AsSpan().IndexOfAnyExceptInRange(0, _config.MaxContext - 1) >= 0)
        {
            throw new ArgumentException("a slot lies outside the KV pool or a position outside the model's context.", nameof(batch));
        }
        fixed (int* positions = batch.Positions, writeSlots = batch.WriteSlots, slotsAddress = slots, offsetsAddress = offsets, lengthsAddress = lengths)
        {
            var step = new NativeLayerStep
            {
                Rows = rows,
                Positions = positions,
                WriteSlots = writeSlots,
                Slots = slotsAddress,
                SlotOffsets = offsetsAddress,
                Lengths = lengthsAddress,
                RopeCos = (float*)_ropeCos,
                RopeSin = (float*)_ropeSin,
            };
            var residual = (float*)TensorMemory.Address(x);
            for (var i = 0; i < _layers.Length; i++)
            {
                var layer = _layers[i];
                var (keys, values) = (kv.Keys(i), kv.Values(i));
                CheckPoolLayer(keys, values, poolSlots);
                layer.Keys = (nint)TensorMemory.Address(keys);
                layer.Values = (nint)TensorMemory.Address(values);
                layer.KvDtype = (int)keys.dtype;
                _kernels.DecoderLayer(&layer, &step, residual);
                GC.KeepAlive(keys);
                GC.KeepAlive(values);
            }
        }
        GC.KeepAlive(x);
    }

    private void CheckPoolLayer(Tensor keys, Tensor values, int poolSlots)
    {
        if (keys.dim() != 3 || keys.size(0) < poolSlots || keys.size(1) != _config.NumKvHeads || keys.size(2) != _config.HeadDim
            || values.dtype != keys.dtype || values.dim() != 3 || values.size(0) != keys.size(0) || values.size(1) != keys.size(1)
            || values.size(2) != keys.size(2))
        {
            throw new ArgumentException("every KV pool layer must be [slots, n_kv_heads, head_dim], keys and values alike.");
        }
    }

    /// <summary>
    /// Each row's context for the attention kernel: the step's sequences' slots concatenated, and per row where its
    /// sequence's slots start and how many it sees (its position + 1: itself and everything before it).
    /// </summary>
    private static (int[] Slots, int[] Offsets, int[] Lengths) RowContexts(ForwardBatch batch)
    {
        var rows = batch.TokenIds.Length;
        var offsets = new int[rows];
        var lengths = new int[rows];
        var total = 0;
        foreach (var span in batch.Sequences)
        {
            total += span.ContextLength;
        }
        var slots = new int[total];
        var next = 0;
        foreach (var span in batch.Sequences)
        {
            span.ContextSlots.CopyTo(slots, next);
            var firstLength = span.ContextLength - span.TokenCount + 1;
            for (var i = 0; i < span.TokenCount; i++)
            {
                offsets[span.FirstToken + i] = next;
                lengths[span.FirstToken + i] = firstLength + i;
            }
            next += span.ContextLength;
        }
        return (slots, offsets, lengths);
    }
}
