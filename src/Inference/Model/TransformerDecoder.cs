using GqaService.Inference.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GqaService.Inference.Model;

/// <summary>
/// A Llama-family decoder (RMSNorm, RoPE, SwiGLU, grouped-query attention) over a flat batch of tokens from many
/// sequences. Stateless apart from its weights: K/V live in the <see cref="IKvStore"/> the caller passes in.
/// Owns the weights and RoPE tables. Linear weights may be 16-bit (<see cref="ModelWeights.LinearDtype"/>); RMSNorm, RoPE,
/// the residual stream, attention's softmax and the logits stay float32. Call under inference mode on the engine thread.
/// </summary>
public sealed class TransformerDecoder : IDisposable
{
    private readonly ModelWeights _weights;
    private readonly RotaryEmbedding _rope;
    private readonly RmsNorm _norm;
    private readonly ScalarType _linearDtype;
    private readonly bool _narrow;
    private readonly Scalar _one = 1.ToScalar();
    private readonly NativeKernels? _kernels;
    /// <summary>Steps run operation by operation multiply with the native kernel up to this many rows (<see cref="NativeLinearPolicy"/>;
    /// 0 below <see cref="NativeKernels.MinimumModelDim"/>); 0: libtorch only.</summary>
    private readonly int _nativeLinearMaxRows;
    /// <summary>Each layer's q/k/v bias in float32 for the native kernel (the weights' own when they are float32), or null.</summary>
    private readonly Tensor?[] _nativeQkvBiases;
    /// <summary>Whole layers by the native kernel for steps it takes (<see cref="FusedDecoderLayers.Takes"/>), or null.</summary>
    private readonly FusedDecoderLayers? _fusedLayers;

    /// <param name="kernels">The project's own kernels, used where they serve the case; null runs everything in libtorch.</param>
    /// <param name="fuseLayers">With kernels, whether steps of up to <see cref="FusedDecoderLayers.MaxRows"/> tokens run each layer as one
    /// native call (<see cref="FusedDecoderLayers"/>);
    /// off, the same kernels serve operation by operation (tests and benchmarks compare the two).</param>
    public TransformerDecoder(ModelWeights weights, NativeKernels? kernels = null, bool fuseLayers = true)
    {
        _weights = weights;
        _kernels = kernels;
        _rope = new RotaryEmbedding(weights.Config);
        _norm = new RmsNorm(weights.Config.NormEps);
        _linearDtype = weights.LinearDtype;
        _narrow = _linearDtype != ScalarType.Float32;
        var pathMaxRows = kernels is null ? 0 : NativeLinearPolicy.MaxRows(kernels.LinearPath(_linearDtype), _linearDtype);
        _nativeLinearMaxRows = weights.Config.Dim < NativeKernels.MinimumModelDim ? 0 : pathMaxRows;
        _nativeQkvBiases = weights.Layers
            .Select(l => pathMaxRows == 0 || l.QkvBias is null ? null
                : l.QkvBias.dtype == ScalarType.Float32 ? l.QkvBias : l.QkvBias.to_type(ScalarType.Float32).DetachFromDisposeScope())
            .ToArray();
        if (weights.HasQ8_0 && kernels is null)
        {
            throw new ArgumentException("Q8_0 weights are multiplied by the native Q8_0 kernel only; without the kernel library load them as float32.", nameof(kernels));
        }
        _fusedLayers = kernels is not null && fuseLayers
            ? FusedDecoderLayers.TryCreate(weights, kernels, _rope, _nativeQkvBiases, pathMaxRows)
            : null;
    }

    /// <summary>Whether steps of up to <see cref="FusedDecoderLayers.MaxRows"/> tokens run each layer as one native call.</summary>
    public bool FusesLayers => _fusedLayers is not null;

    /// <summary>Steps whose layers ran fused so far (tests check which path served).</summary>
    internal long FusedSteps { get; private set; }

    public ModelConfig Config => _weights.Config;

    public ModelWeights Weights => _weights;

    /// <summary>
    /// Runs one step, writing its K/V into <paramref name="kv"/>. Returns float32 logits [R, vocab] for the input's logit rows
    /// (<see cref="ForwardBatch.LogitRows"/>), owned by the caller's dispose scope.
    /// </summary>
    public Tensor Forward(DecoderInput input, IKvStore kv)
    {
        var x = Wide(_weights.TokenEmbedding.index_select(0, input.TokenIds)); // [N, D], float32: the residual stream
        if (_fusedLayers is { } fused && fused.Takes(input.TokenCount, kv))
        {
            fused.Run(x, input.Batch, kv);
            FusedSteps++;
        }
        else
        {
            ForwardLayers(x, input, kv);
        }
        var rows = input.LogitRows is { } logitRows ? x.index_select(0, logitRows) : x; // [R, D]
        return Linear(_norm.Apply(rows, _weights.FinalNorm), _weights.Classifier, null); // [R, V]
    }

    /// <summary>Every layer through libtorch, with the native linear and attention kernels where they serve.</summary>
    private void ForwardLayers(Tensor x, DecoderInput input, IKvStore kv)
    {
        var config = Config;
        var n = input.TokenCount;
        var writeSlots = input.WriteSlots;
        var angles = _rope.For(input.Positions);
        var plan = input.Plan;
        var attentionTensors = GroupedQueryAttention.StepTensors(plan, config, _kernels, kv.Keys(0).dtype); // once per step, shared by every layer
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            // Per-layer scope: a layer's temporaries are freed before the next layer allocates its own.
            using var layerScope = NewDisposeScope();
            var w = _weights.Layers[layer];
            var qkv = Linear(_norm.Apply(x, w.AttentionNorm), w.QkvProjection, w.QkvBias, _nativeQkvBiases[layer]); // [N, (H+2Hkv)*Dh]
            // Q and K heads rotate together in one call: [N, H + Hkv, Dh].
            var rotated = _rope.Apply(qkv.narrow(1, 0, config.QueryWidth + config.KvWidth).view(n, config.NumHeads + config.NumKvHeads, config.HeadDim), angles);
            var q = rotated.narrow(1, 0, config.NumHeads);                  // [N, H, Dh]
            var k = rotated.narrow(1, config.NumHeads, config.NumKvHeads);  // [N, Hkv, Dh]
            var v = qkv.narrow(1, config.QueryWidth + config.KvWidth, config.KvWidth).view(n, config.NumKvHeads, config.HeadDim);
            var keys = kv.Keys(layer);
            var values = kv.Values(layer);
            // The store may hold a narrower dtype than the activations (KvLayout); to_type is a no-op when they agree.
            keys.index_copy_(0, writeSlots, k.to_type(keys.dtype));
            values.index_copy_(0, writeSlots, v.to_type(values.dtype));
            var attended = GroupedQueryAttention.Forward(q, keys, values, plan, attentionTensors, config, _kernels); // [N, H*Dh]
            AddProjection(x, attended, w.OutputProjection, w.OutputProjectionT);
            var gateUp = Linear(_norm.Apply(x, w.FeedForwardNorm), w.GateUpProjection, null); // [N, 2F]
            var hidden = F.silu(gateUp.narrow(1, 0, config.HiddenDim)).mul_(gateUp.narrow(1, config.HiddenDim, config.HiddenDim));
            AddProjection(x, hidden, w.DownProjection, w.DownProjectionT);
        }
    }

    /// <summary>
    /// float32 in, float32 out. The native kernel for steps of up to <see cref="NativeLinearPolicy"/>'s rows (it reads 16-bit
    /// weights directly); else libtorch, where 16-bit weights mean narrowing the activations for the matmul and widening its result.
    /// <paramref name="nativeBias"/>: <paramref name="bias"/> in float32, which the native kernel reads.
    /// </summary>
    private Tensor Linear(Tensor input, Tensor weight, Tensor? bias, Tensor? nativeBias = null)
    {
        if (_weights.TryGetQ8_0(weight, out var q8_0))
        {
            return LinearQ8_0(input, q8_0, bias, accumulateInto: null);
        }
        var rows = input.size(0);
        if (NativeLinearTakes(rows) && (bias is null || nativeBias is not null))
        {
            var output = empty([rows, weight.size(0)], ScalarType.Float32);
            if (_kernels!.TryLinear(input.contiguous(), weight, nativeBias, output, accumulate: false))
            {
                return output;
            }
        }
        return _narrow ? Wide(F.linear(input.to_type(_linearDtype), weight, bias)) : F.linear(input, weight, bias);
    }

    /// <summary>
    /// x += input @ weightᵀ, in place: the native kernel accumulating straight into x, as in <see cref="Linear"/> (it reads
    /// <paramref name="weight"/> [out, in] row by row); else one fused addmm_ with <paramref name="weightT"/> in
    /// float32, or a 16-bit matmul widened and added.
    /// </summary>
    private void AddProjection(Tensor x, Tensor input, Tensor weight, Tensor weightT)
    {
        if (_weights.TryGetQ8_0(weight, out var q8_0))
        {
            LinearQ8_0(input, q8_0, null, accumulateInto: x);
            return;
        }
        if (NativeLinearTakes(x.size(0)) && _kernels!.TryLinear(input.contiguous(), weight, null, x, accumulate: true))
        {
            return;
        }
        if (_narrow)
        {
            x.add_(Wide(input.to_type(_linearDtype).mm(weightT)), _one);
        }
        else
        {
            x.addmm_(input, weightT);
        }
    }

    private bool NativeLinearTakes(long rows) => _kernels is not null && rows <= _nativeLinearMaxRows;

    private static Tensor Wide(Tensor t) => t.to_type(ScalarType.Float32);

    /// <summary>
    /// The Q8_0 path, apart from the float one: input @ Wᵀ (+ bias) by the native Q8_0 kernel, into a new tensor or added
    /// into <paramref name="accumulateInto"/> in place (which is then returned). The constructor made sure the kernels exist.
    /// </summary>
    private Tensor LinearQ8_0(Tensor input, Q8_0Weight weight, Tensor? bias, Tensor? accumulateInto)
    {
        var rows = input.is_contiguous() ? input : input.contiguous();
        var output = accumulateInto ?? empty(rows.size(0), weight.OutFeatures, ScalarType.Float32);
        if (!_kernels!.TryLinearQ8_0(rows, weight, bias, output, accumulate: accumulateInto is not null))
        {
            throw new InvalidOperationException($"the native Q8_0 kernel refused a [{rows.size(0)}, {weight.InFeatures}] x [{weight.OutFeatures}, {weight.InFeatures}] product.");
        }
        return output;
    }

    public void Dispose()
    {
        for (var layer = 0; layer < _nativeQkvBiases.Length; layer++)
        {
            if (_nativeQkvBiases[layer] is { } bias && !ReferenceEquals(bias, _weights.Layers[layer].QkvBias))
            {
                bias.Dispose();
            }
        }
        _one.Dispose();
        _norm.Dispose();
        _rope.Dispose();
        _weights.Dispose();
    }
}
