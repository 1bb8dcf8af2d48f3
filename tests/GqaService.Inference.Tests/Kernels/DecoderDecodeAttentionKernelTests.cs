using GqaService.Inference.Kernels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Model;
using GqaService.Inference.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Kernels;

/// <summary>
/// The decoder with the native kernels (decode attention read straight from the pool) against the same decoder without
/// them (libtorch's gathered copy), on a random model through a paged <see cref="KvPool"/> whose every slot starts as NaN:
/// a mixed prefill step, then batched decode steps over ragged, scattered contexts. Logits agree within 1e-4 of their
/// scale: both compute the same attention in float32, only the order of the sums differs, and two layers of the random
/// model amplify that a little. With 16-bit K/V the model has one layer: from the second layer on, a float32 difference
/// of an ulp can round a stored K/V element to the neighbouring 16-bit value (2^-8 relative for bf16), which says
/// nothing about the kernel and would need a tolerance too loose to catch a wrong one. Even in one layer, when the native
/// linear kernel is on too (models from dim 512) it computes k and v with sums in another order, so stored 16-bit elements may land one step away,
/// and the effects of many such elements (every position's k and v) add up through the softmax and two projections:
/// measured up to 1.7e-3 of the logits' scale with f16 and 1.5e-4 with bf16 over repeated runs. The 16-bit bound is
/// 1e-2: a wrong attention (a wrong slot, head, row or scale) moves logits by their own scale. The kernel alone is held
/// to float32 rounding on identical inputs in <see cref="NativeDecodeAttentionTests"/>.
/// </summary>
public sealed class DecoderDecodeAttentionKernelTests
{
    private static readonly NativeKernels Kernels = TestKernels.Instance;

    [Theory]
    [InlineData(KvDtype.F32, 16, 2)]
    [InlineData(KvDtype.F32, 8, 2)] // head_dim 8: half a 16-lane chunk, the vector path's masked tail
    [InlineData(KvDtype.Bf16, 16, 1)]
    [InlineData(KvDtype.F16, 16, 1)]
    [InlineData(KvDtype.Bf16, 8, 1)]
    public void Decoder_KernelsOnAndOff_GiveTheSameLogits(KvDtype dtype, int headDim, int layers)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var config = RandomModels.Config(heads: 12, kvHeads: 4, headDim: headDim, layers: layers);
        // Operation by operation: this class is about the decode-attention kernel inside libtorch's layer; fused layers
        // are FusedDecoderLayerTests'.
        using var withKernels = new TransformerDecoder(RandomModels.Weights(config, seed: 41), Kernels, fuseLayers: false);
        using var withoutKernels = new TransformerDecoder(RandomModels.Weights(config, seed: 41));
        var layout = new KvLayout(config, dtype, blockSize: 4);
        using var poolA = PoisonedPools.Create(layout, config);
        using var poolB = PoisonedPools.Create(layout, config);
        var random = new Random(HashCode.Combine(dtype, headDim, layers, Environment.TickCount));
        var prompts = new[] { 1, 9, 70, 33 }.Select(n => RandomModels.Tokens(random, n, config.VocabSize)).ToArray();
        const int steps = 5;
        var free = Enumerable.Range(0, 64).OrderBy(_ => random.Next()).ToArray(); // blocks, shuffled
        var nextBlock = 0;
        var maps = prompts.Select(p =>
        {
            var blocks = free.Skip(nextBlock).Take((p.Length + steps + 3) / 4).ToArray();
            nextBlock += blocks.Length;
            return Enumerable.Range(0, p.Length + steps).Select(i => blocks[i / 4] * 4 + i % 4).ToArray();
        }).ToArray();
        var extra = prompts.Select(_ => RandomModels.Tokens(random, steps, config.VocabSize)).ToArray();

        // The first step mixes decode (the one-token prompt) with prefills; the rest are decode steps over ragged contexts.
        var batches = new List<ForwardBatch> { ForwardBatch.Create(prompts.Select((p, i) => ((IReadOnlyList<int>)p, maps[i][..p.Length])).ToList()) };
        for (var t = 0; t < steps; t++)
        {
            batches.Add(ForwardBatch.Create(prompts.Select((p, i) => ((IReadOnlyList<int>)[extra[i][t]], maps[i][..(p.Length + t + 1)])).ToList()));
        }
        foreach (var batch in batches)
        {
            var expected = withoutKernels.Forward(DecoderInput.From(batch), poolB).to_type(ScalarType.Float64);
            var actual = withKernels.Forward(DecoderInput.From(batch), poolA).to_type(ScalarType.Float64);
            Assert.False(actual.isnan().any().item<bool>(), "a NaN slot was read");
            GroupedQueryAttentionTests.AssertClose(expected, actual, dtype == KvDtype.F32 ? 1e-4 : 1e-2);
        }
    }
}
