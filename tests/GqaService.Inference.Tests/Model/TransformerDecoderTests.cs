using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Model;

public class TransformerDecoderTests
{
    [Theory]
    [InlineData(4, 2, RopeLayout.Interleaved)]
    [InlineData(4, 4, RopeLayout.RotateHalf)]
    [InlineData(4, 1, RopeLayout.Interleaved)]
    public void Forward_PrefillInOneStep_EqualsOneTokenAtATime(int heads, int kvHeads, RopeLayout layout)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var config = RandomModels.Config(heads, kvHeads, layout);
        using var decoder = new TransformerDecoder(RandomModels.Weights(config, seed: 7));
        var prompt = RandomModels.Tokens(new Random(11), 23, config.VocabSize);
        var slots = Enumerable.Range(0, prompt.Length).ToArray();

        using var poolA = new KvPool(config, totalBlocks: 4, blockSize: 16);
        var oneStep = decoder.Forward(DecoderInput.From(ForwardBatch.Create([(prompt, slots)], logitsForAllTokens: true)), poolA);

        using var poolB = new KvPool(config, totalBlocks: 4, blockSize: 16);
        var perToken = new List<Tensor>();
        for (var i = 0; i < prompt.Length; i++)
        {
            perToken.Add(decoder.Forward(DecoderInput.From(ForwardBatch.Create([(new[] { prompt[i] }, slots[..(i + 1)])])), poolB)[0]);
        }

        GroupedQueryAttentionTests.AssertClose(oneStep.to_type(ScalarType.Float64), stack(perToken).to_type(ScalarType.Float64), 1e-5);
    }

    [Fact]
    public void Forward_ScatteredSlotsInBatch_EqualsContiguousSequencesRunAlone()
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var config = RandomModels.Config(8, 2);
        using var decoder = new TransformerDecoder(RandomModels.Weights(config, seed: 3));
        var random = new Random(5);
        var prompts = new[] { 3, 17, 33, 9 }.Select(n => RandomModels.Tokens(random, n, config.VocabSize)).ToArray();
        const int steps = 6;

        // Alone, contiguous slots: prefill then greedy-free decode of fixed random tokens.
        var extra = prompts.Select(_ => RandomModels.Tokens(random, steps, config.VocabSize)).ToArray();
        var alone = new List<Tensor>();
        for (var s = 0; s < prompts.Length; s++)
        {
            using var pool = new KvPool(config, totalBlocks: 8, blockSize: 16);
            var slots = Enumerable.Range(0, prompts[s].Length + steps).ToArray();
            var logits = new List<Tensor> { decoder.Forward(DecoderInput.From(ForwardBatch.Create([(prompts[s], slots[..prompts[s].Length])])), pool)[0] };
            for (var t = 0; t < steps; t++)
            {
                var length = prompts[s].Length + t + 1;
                logits.Add(decoder.Forward(DecoderInput.From(ForwardBatch.Create([(new[] { extra[s][t] }, slots[..length])])), pool)[0]);
            }
            alone.Add(stack(logits));
        }

        // Together in one pool with shuffled slots: one mixed prefill step, then batched decode steps.
        using var shared = new KvPool(config, totalBlocks: 16, blockSize: 16);
        var free = Enumerable.Range(0, 256).OrderBy(_ => random.Next()).ToArray();
        var maps = prompts.Select((p, i) => free.Skip(i * 64).Take(p.Length + steps).ToArray()).ToArray();
        var batched = prompts.Select(_ => new List<Tensor>()).ToArray();
        var first = decoder.Forward(DecoderInput.From(ForwardBatch.Create(prompts.Select((p, i) => ((IReadOnlyList<int>)p, maps[i][..p.Length])).ToList())), shared);
        for (var i = 0; i < prompts.Length; i++) batched[i].Add(first[i]);
        for (var t = 0; t < steps; t++)
        {
            var step = decoder.Forward(DecoderInput.From(ForwardBatch.Create(prompts.Select((p, i) => ((IReadOnlyList<int>)new[] { extra[i][t] }, maps[i][..(p.Length + t + 1)])).ToList())), shared);
            for (var i = 0; i < prompts.Length; i++) batched[i].Add(step[i]);
        }

        for (var s = 0; s < prompts.Length; s++)
        {
            GroupedQueryAttentionTests.AssertClose(alone[s].to_type(ScalarType.Float64), stack(batched[s]).to_type(ScalarType.Float64), 1e-5);
        }
    }
}
