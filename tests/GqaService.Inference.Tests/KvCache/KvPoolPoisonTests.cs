using GqaService.Inference.Kernels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Model;
using GqaService.Inference.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.KvCache;

/// <summary>
/// The pool is allocated uninitialised, so no slot may be read before it is written. Filling every slot with NaN first
/// proves it: one NaN read anywhere (an unwritten slot, decode padding, a stale block) would poison the logits.
/// </summary>
public sealed class KvPoolPoisonTests
{
    [Theory]
    [InlineData(KvDtype.F32, false)]
    [InlineData(KvDtype.Bf16, false)]
    [InlineData(KvDtype.F32, true)]
    [InlineData(KvDtype.Bf16, true)]
    public void PoisonedPool_GivesTheSameLogitsAsAFreshOne(KvDtype dtype, bool nativeKernels)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var config = RandomModels.Config(heads: 4, kvHeads: 2);
        var kernels = nativeKernels
            ? NativeKernels.TryLoad(threads: 2, spinMicroseconds: 50, out var reason) ?? throw new InvalidOperationException(reason)
            : null;
        var decoder = new TransformerDecoder(RandomModels.Weights(config, seed: 23), kernels);
        var layout = new KvLayout(config, dtype, blockSize: 4);
        using var poisoned = new KvPool(layout, totalBlocks: 32);
        using var nan = float.NaN.ToScalar();
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            poisoned.Keys(layer).fill_(nan);
            poisoned.Values(layer).fill_(nan);
        }
        var random = new Random(5);
        // Three sequences of different lengths with slots scattered over the pool, so decode rows are padded.
        var prompts = new[] { 3, 9, 14 }.Select(n => RandomModels.Tokens(random, n, config.VocabSize)).ToArray();
        var free = Enumerable.Range(0, 32 * 4).OrderBy(_ => random.Next()).ToArray();
        const int steps = 6;
        var maps = prompts.Select((p, i) => free.Skip(i * 40).Take(p.Length + steps).ToArray()).ToArray();
        var extra = prompts.Select(_ => RandomModels.Tokens(random, steps, config.VocabSize)).ToArray();

        var poisonedLogits = new List<Tensor> { decoder.Forward(DecoderInput.From(ForwardBatch.Create(
            prompts.Select((p, i) => ((IReadOnlyList<int>)p, maps[i][..p.Length])).ToList())), poisoned) };
        for (var t = 0; t < steps; t++)
        {
            poisonedLogits.Add(decoder.Forward(DecoderInput.From(ForwardBatch.Create(
                prompts.Select((p, i) => ((IReadOnlyList<int>)[extra[i][t]], maps[i][..(p.Length + t + 1)])).ToList())), poisoned));
        }

        for (var s = 0; s < prompts.Length; s++)
        {
            using var fresh = new KvPool(layout, totalBlocks: 8);
            for (var layer = 0; layer < config.NumLayers; layer++)
            {
                fresh.Keys(layer).zero_();
                fresh.Values(layer).zero_();
            }
            var slots = Enumerable.Range(0, prompts[s].Length + steps).ToArray();
            var expected = new List<Tensor> { decoder.Forward(DecoderInput.From(ForwardBatch.Create([(prompts[s], slots[..prompts[s].Length])])), fresh)[0] };
            for (var t = 0; t < steps; t++)
            {
                expected.Add(decoder.Forward(DecoderInput.From(ForwardBatch.Create([(new[] { extra[s][t] }, slots[..(prompts[s].Length + t + 1)])])), fresh)[0]);
            }
            var actual = stack(poisonedLogits.Select(step => step[s]).ToArray());
            Assert.False(actual.isnan().any().item<bool>(), $"sequence {s} read a slot it never wrote");
            GroupedQueryAttentionTests.AssertClose(stack(expected).to_type(ScalarType.Float64), actual.to_type(ScalarType.Float64), 1e-5);
        }
    }
}
