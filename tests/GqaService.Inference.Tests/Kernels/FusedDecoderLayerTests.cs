using GqaService.Inference.Kernels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Loading;
using GqaService.Inference.Tests.Model;
using GqaService.Inference.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Kernels;

/// <summary>
/// Whole layers in one native call (<see cref="FusedDecoderLayers"/>): against the float64 reference decoder on Hugging
/// Face family checkpoints (rotate-half RoPE, llama3 rope scaling, Qwen2's biases, head_dim apart from dim / heads),
/// fed as a short prefill and then one token per step, all of it fused; and against the same decoder operation by
/// operation (the same native matmuls, libtorch around them) on random models over ragged, scattered, NaN-poisoned paged
/// contexts, in every weight and KV dtype, with steps that mix prefill and decode rows, and a long prefill the fused path
/// hands to libtorch in between, so each path reads K/V the other wrote.
/// Tolerances, relative to the largest logit: against float64, 1e-4 (float32 rounding over two layers, as the libtorch
/// decoder is held to in ModelFamilyTests). Fused against operation by operation with float32 K/V: 1e-4; only the order
/// of float32 sums differs (norms, attention). With 16-bit K/V (one layer, as DecoderDecodeAttentionKernelTests explains
/// why): a stored element may round to the neighbouring 16-bit value when its float32 source differs by an ulp, so the
/// bound is 1e-2; a wrong slot, head, position or row moves logits by their own scale. Matmuls that narrow their input
/// do the same to activations, with steps of their own: Q8_0 quantises each input per block of 32 (as llama.cpp does), so
/// an ulp can move an activation to the neighbouring quant (1/127 of its block's largest), and bf16 weights on
/// AVX512_BF16 narrow the input to bf16 (2^-9); past 64 rows the operation-by-operation bf16 matmul is libtorch's, which
/// also rounds its outputs to bf16. Over 8 runs of every case (48 steps each) the worst was 2.4% of the logits' scale
/// (Q8_0) and 2.0% (bf16); bound 10%, still far below what a wrong slot or position does.
/// </summary>
[Collection(NativeKernelsCollection.Name)]
public sealed class FusedDecoderLayerTests(ITestOutputHelper output) : IDisposable
{
    private static readonly NativeKernels Kernels = TestKernels.Instance;
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(nameof(FamilyCheckpoint.Configs.TinyLlama))]
    [InlineData(nameof(FamilyCheckpoint.Configs.Qwen25))]
    [InlineData(nameof(FamilyCheckpoint.Configs.Llama32))]
    [InlineData(nameof(FamilyCheckpoint.Configs.MistralNemo))]
    [InlineData(nameof(FamilyCheckpoint.Configs.SmolLm2))]
    public void FusedSteps_MatchTheFloat64Reference(string configName)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var checkpoint = FamilyCheckpoint.Create(ModelFamilyTests.ConfigNamed(configName), seed: Environment.TickCount);
        checkpoint.WriteTo(_directory.Path);
        using var model = ModelLoader.Load(_directory.Path);
        var decoder = new TransformerDecoder(model.Weights, Kernels);
        Assert.True(decoder.FusesLayers, "the fused layers should serve this model on a host with the kernels");
        var tokens = RandomModels.Tokens(new Random(Environment.TickCount), 24, checkpoint.Vocab);
        using var pool = new KvPool(model.Weights.Config, totalBlocks: 8, blockSize: 4);
        var slots = Enumerable.Range(0, 32).Reverse().ToArray(); // descending: the context is scattered, never one run
        const int prefill = 9;

        var rows = new List<Tensor> { decoder.Forward(DecoderInput.From(ForwardBatch.Create([(tokens[..prefill], slots[..prefill])], logitsForAllTokens: true)), pool) };
        for (var t = prefill; t < tokens.Length; t++)
        {
            rows.Add(decoder.Forward(DecoderInput.From(ForwardBatch.Create([(tokens[t..(t + 1)], slots[..(t + 1)])])), pool));
        }

        Assert.Equal(1 + tokens.Length - prefill, decoder.FusedSteps);
        var logits = cat(rows, 0).to_type(ScalarType.Float64);
        var values = logits.data<double>().ToArray();
        var vocab = (int)logits.shape[1];
        var actual = Enumerable.Range(0, tokens.Length).Select(t => values.AsSpan(t * vocab, vocab).ToArray()).ToArray();
        var expected = Float64ReferenceDecoder.Logits(checkpoint, tokens, ModelFamilyTests.FrequencyScaling(checkpoint));
        ModelFamilyTests.AssertClose(expected, actual, 1e-4);
    }

    [Theory]
    [InlineData(ScalarType.Float32, false, KvDtype.F32, RopeLayout.Interleaved, 16, 2)]
    [InlineData(ScalarType.Float32, false, KvDtype.F32, RopeLayout.RotateHalf, 16, 2)]
    [InlineData(ScalarType.Float32, false, KvDtype.F32, RopeLayout.Interleaved, 8, 2)] // head_dim 8: portable attention
    [InlineData(ScalarType.BFloat16, false, KvDtype.F32, RopeLayout.RotateHalf, 16, 2)]
    [InlineData(ScalarType.Float16, false, KvDtype.F32, RopeLayout.Interleaved, 16, 2)]
    [InlineData(ScalarType.Float32, true, KvDtype.F32, RopeLayout.Interleaved, 16, 2)] // Q8_0, down (rows of 1028) stays f32
    [InlineData(ScalarType.Float32, false, KvDtype.Bf16, RopeLayout.Interleaved, 16, 1)]
    [InlineData(ScalarType.Float32, false, KvDtype.F16, RopeLayout.RotateHalf, 16, 1)]
    [InlineData(ScalarType.BFloat16, false, KvDtype.Bf16, RopeLayout.Interleaved, 16, 1)]
    public void FusedSteps_AgreeWithOperationByOperation(ScalarType weightDtype, bool q8_0, KvDtype kvDtype, RopeLayout layout, int headDim, int layers)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        // Dim 512, so the operation-by-operation decoder uses the same native matmuls (NativeKernels.MinimumModelDim).
        var heads = NativeKernels.MinimumModelDim / headDim;
        var config = RandomModels.Config(heads, kvHeads: heads / 4, layout, headDim, layers);
        var seed = Environment.TickCount;
        ModelWeights Weights() => RandomModels.Weights(config, seed, weightDtype, q8_0, scale: WeightScale);
        var fused = new TransformerDecoder(Weights(), Kernels);
        var stepwise = new TransformerDecoder(Weights(), Kernels, fuseLayers: false);
        // Serves one step over the fused decoder's pool, so each path reads K/V the other wrote.
        var crossover = new TransformerDecoder(Weights(), Kernels, fuseLayers: false);
        Assert.True(fused.FusesLayers);
        Assert.Equal(q8_0, fused.Weights.HasQ8_0);
        var layout16 = new KvLayout(config, kvDtype, blockSize: 4);
        using var fusedPool = PoisonedPools.Create(layout16, config);
        using var stepwisePool = PoisonedPools.Create(layout16, config);
        var random = new Random(seed);
        var promptLengths = new[] { 1, 5, 12, 2 };
        var prompts = promptLengths.Select(n => RandomModels.Tokens(random, n, config.VocabSize)).ToArray();
        var longPrompt = RandomModels.Tokens(random, 70, config.VocabSize);
        var fusedPrompt = RandomModels.Tokens(random, 90, config.VocabSize);
        const int steps = 6;
        var blocks = Enumerable.Range(0, 64).OrderBy(_ => random.Next()).ToArray();
        var nextBlock = 0;
        int[] SlotMap(int length)
        {
            var owned = blocks.Skip(nextBlock).Take((length + 3) / 4).ToArray();
            nextBlock += owned.Length;
            return Enumerable.Range(0, length).Select(i => owned[i / 4] * 4 + i % 4).ToArray();
        }
        var maps = prompts.Select(p => SlotMap(p.Length + steps)).ToArray();
        var longMap = SlotMap(longPrompt.Length + 1);
        var fusedMap = SlotMap(fusedPrompt.Length);
        var extra = prompts.Select(_ => RandomModels.Tokens(random, steps, config.VocabSize)).ToArray();

        // Step 0 (20 rows): a decode row and three prefills, every row's logits. Steps 1-5: decode. Step 3 also carries a
        // 70-token prefill and runs operation by operation over K/V the fused steps wrote; step 5 decodes that sequence
        // fused, over K/V the operation-by-operation step wrote. Step 4 is fused over both.
        var batches = new List<(ForwardBatch Batch, bool Fused)>
        {
            (ForwardBatch.Create(prompts.Select((p, i) => ((IReadOnlyList<int>)p, maps[i][..p.Length])).ToList(), logitsForAllTokens: true), true),
        };
        for (var t = 0; t < steps - 1; t++)
        {
            var sequences = prompts.Select((p, i) => ((IReadOnlyList<int>)[extra[i][t]], maps[i][..(p.Length + t + 1)])).ToList();
            if (t == 2)
            {
                sequences.Add((longPrompt, longMap[..longPrompt.Length]));
            }
            if (t == 3)
            {
                sequences.Add((fusedPrompt, fusedMap));
            }
            if (t == 4)
            {
                sequences.Add(([extra[0][t]], longMap));
            }
            batches.Add((ForwardBatch.Create(sequences), t != 2));
        }
        var expectedFusedSteps = 0;
        foreach (var (batch, expectFused) in batches)
        {
            var expected = stepwise.Forward(DecoderInput.From(batch), stepwisePool).to_type(ScalarType.Float64);
            var actual = (expectFused ? fused : crossover).Forward(DecoderInput.From(batch), fusedPool).to_type(ScalarType.Float64);
            expectedFusedSteps += expectFused ? 1 : 0;
            Assert.Equal(expectedFusedSteps, fused.FusedSteps);
            Assert.False(actual.isnan().any().item<bool>(), "a NaN slot was read");
            output.WriteLine($"{batch.TokenIds.Length} rows, fused {expectFused}: max |logit difference| {(expected - actual).abs().max().item<double>():E2} of {expected.abs().max().item<double>():E2}");
            GroupedQueryAttentionTests.AssertClose(expected, actual, Tolerance(weightDtype, q8_0, kvDtype));
        }
        Assert.Equal(0, stepwise.FusedSteps);
        // What the fused layers stored is what libtorch stores (16-bit: within a step of the dtype), slot for slot.
        var written = tensor(maps.SelectMany(m => m[..^1]).Concat(longMap).Concat(fusedMap).Select(s => (long)s).ToArray());
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            foreach (var (mine, theirs) in new[] { (fusedPool.Keys(layer), stepwisePool.Keys(layer)), (fusedPool.Values(layer), stepwisePool.Values(layer)) })
            {
                var a = mine.index_select(0, written).to_type(ScalarType.Float64);
                var b = theirs.index_select(0, written).to_type(ScalarType.Float64);
                Assert.False(a.isnan().any().item<bool>(), "a written slot was left as NaN");
                GroupedQueryAttentionTests.AssertClose(b, a, Tolerance(weightDtype, q8_0, kvDtype));
            }
        }
    }

    [Fact]
    public void LongSteps_AndDecodersWithoutFusion_RunOperationByOperation()
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var config = RandomModels.Config(heads: 4, kvHeads: 2, headDim: 16) with { MaxContext = FusedDecoderLayers.MaxRows + 1 };
        var decoder = new TransformerDecoder(RandomModels.Weights(config, seed: 3), Kernels);
        using var pool = new KvPool(new KvLayout(config, KvDtype.F32, blockSize: 16), totalBlocks: config.MaxContext / 16 + 1);
        var tokens = RandomModels.Tokens(new Random(5), FusedDecoderLayers.MaxRows + 1, config.VocabSize);

        decoder.Forward(DecoderInput.From(ForwardBatch.Create([(tokens, Enumerable.Range(0, tokens.Length).ToArray())])), pool);
        Assert.Equal(0, decoder.FusedSteps);
        decoder.Forward(DecoderInput.From(ForwardBatch.Create([(tokens[..FusedDecoderLayers.MaxRows], Enumerable.Range(0, FusedDecoderLayers.MaxRows).ToArray())])), pool);
        Assert.Equal(1, decoder.FusedSteps);
        Assert.False(new TransformerDecoder(RandomModels.Weights(config, seed: 3)).FusesLayers);
        Assert.False(new TransformerDecoder(RandomModels.Weights(config, seed: 3), Kernels, fuseLayers: false).FusesLayers);
    }

    [Fact]
    public void SlotsOutsideThePool_AreRefusedBeforeAnyLayerRuns()
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var config = RandomModels.Config(heads: 4, kvHeads: 2, headDim: 16);
        var decoder = new TransformerDecoder(RandomModels.Weights(config, seed: 3), Kernels);
        using var pool = new KvPool(new KvLayout(config, KvDtype.F32, blockSize: 4), totalBlocks: 2);
        using var half = 0.5.ToScalar();
        pool.Keys(0).fill_(half);
        var before = pool.Keys(0).clone();
        var outside = (int)pool.Keys(0).size(0);

        Assert.Throws<ArgumentException>(() => decoder.Forward(DecoderInput.From(ForwardBatch.Create([([3, 4], [0, outside])])), pool));
        Assert.True(before.eq(pool.Keys(0)).all().item<bool>(), "a refused step wrote to the pool");
    }

    /// <summary>About 2 / sqrt(dim 512): activations keep their scale through the layers, so a difference of rounding is
    /// not amplified sevenfold per matmul as RandomModels' default 0.3 would at this dim.</summary>
    private const double WeightScale = 0.09;

    private static double Tolerance(ScalarType weightDtype, bool q8_0, KvDtype kvDtype) =>
        q8_0 || weightDtype == ScalarType.BFloat16 ? 0.1 : kvDtype != KvDtype.F32 ? 1e-2 : 1e-4;
}
