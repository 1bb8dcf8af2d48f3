using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Model;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.KvCache;

public class PagedDecodingTests
{
    [Theory]
    [InlineData(8, 2, 4)]
    [InlineData(8, 8, 3)]
    [InlineData(8, 1, 5)]
    public void BatchedDecodeThroughBlockTables_EqualsFullRecompute(int heads, int kvHeads, int blockSize)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var config = RandomModels.Config(heads, kvHeads);
        using var decoder = new TransformerDecoder(RandomModels.Weights(config, seed: heads + kvHeads));
        using var pool = new KvPool(config, totalBlocks: 64, blockSize);
        var allocator = new BlockAllocator(64);
        var index = new PrefixBlockIndex();
        var random = new Random(blockSize);
        // Interleave allocations so every sequence's blocks are scattered through the pool.
        var tokens = new[] { 2, 9, 5, 13 }.Select(n => RandomModels.Tokens(random, n, config.VocabSize).ToList()).ToList();
        var sequences = tokens.Select(_ => new KvSequence(allocator, index, blockSize)).ToList();

        for (var step = 0; step < 9; step++)
        {
            var inputs = new List<(IReadOnlyList<int>, int[])>();
            for (var s = 0; s < sequences.Count; s++)
            {
                var kv = sequences[s];
                var pending = tokens[s].Skip(kv.Length).ToArray();
                Assert.True(kv.TryReserve(pending.Length, []));
                inputs.Add((pending, Enumerable.Range(0, kv.Length + pending.Length).Select(kv.SlotOf).ToArray()));
            }
            var paged = decoder.Forward(DecoderInput.From(ForwardBatch.Create(inputs)), pool);
            for (var s = 0; s < sequences.Count; s++)
            {
                sequences[s].Append(inputs[s].Item1);
                using var fresh = new KvPool(config, totalBlocks: 8, blockSize: 16);
                var full = decoder.Forward(DecoderInput.From(ForwardBatch.Create([(tokens[s], Enumerable.Range(0, tokens[s].Count).ToArray())])), fresh);
                GroupedQueryAttentionTests.AssertClose(full[0].to_type(ScalarType.Float64), paged[s].to_type(ScalarType.Float64), 1e-5);
                tokens[s].Add(random.Next(config.VocabSize));
            }
        }
        Assert.All(sequences, s => Assert.True(s.ReservedBlocks >= 2, "every sequence must cross a block boundary"));
        foreach (var sequence in sequences) sequence.ReleaseAll();
        Assert.Equal(allocator.TotalBlocks, allocator.FreeBlocks);
    }
}
