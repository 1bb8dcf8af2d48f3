using GqaService.Inference.Kernels;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Model;
using GqaService.Inference.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Kernels;

/// <summary>
/// The native decode-attention kernel against a float64 reference computed here from the very K/V it read (16-bit
/// values widened exactly) and against the libtorch path, on fresh random inputs: MHA, GQA and MQA layouts, ragged
/// context lengths in one batch, paged slot lists scattered over shuffled blocks of a pool whose unlisted slots hold NaN
/// (so a read outside a sequence's slots shows), strided query rows, and each K/V dtype, on the vector and portable
/// paths. The bound is float32 accumulation's: softmax weights sum to one, so each output is within a few ulps of
/// max|v| times a small multiple of the context length's rounding.
/// </summary>
public sealed class NativeDecodeAttentionTests
{
    private static readonly NativeKernels Kernels = TestKernels.Instance;

    private const int BlockSize = 16;

    public static TheoryData<ScalarType, int, int, int, bool> Cases()
    {
        var cases = new TheoryData<ScalarType, int, int, int, bool>();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16, ScalarType.Float16 })
        {
            foreach (var portable in new[] { false, true })
            {
                cases.Add(dtype, 6, 6, 64, portable);   // MHA (group 1)
                cases.Add(dtype, 12, 4, 64, portable);  // group 3, the benchmark model's layout
                cases.Add(dtype, 8, 1, 32, portable);   // MQA (one K/V head, group 8)
                cases.Add(dtype, 8, 2, 128, portable);  // group 4 at head_dim 128 (Llama 3 8B, Qwen2.5 7B): its own specialisation
                cases.Add(dtype, 14, 2, 48, portable);  // group 7: no specialisation, the generic vector loop
                cases.Add(dtype, 32, 1, 64, portable);  // group 32 (MQA over 32 heads): the generic loop takes its heads 16 at a time
                cases.Add(dtype, 4, 2, 20, portable);   // head_dim not a multiple of 16: the vector path masks its last chunk
                cases.Add(dtype, 8, 4, 8, portable);    // stories260K's layout: head_dim 8, half a chunk, group 2
                cases.Add(dtype, 6, 3, 40, portable);   // two and a half chunks; bf16 K/V widened (40 is no multiple of 32)
            }
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodeAttention_MatchesFloat64Reference_OverScatteredPagedSlots(ScalarType kvDtype, int heads, int kvHeads, int headDim, bool portableOnly)
    {
        var random = new Random(HashCode.Combine(kvDtype, heads, kvHeads, headDim, portableOnly, Environment.TickCount));
        AssertMatchesReference(random, [1, 17, 300, 64, 65, 129, 2], kvDtype, heads, kvHeads, headDim, portableOnly);
    }

    /// <summary>
    /// With many sequences a task attends every K/V head of its sequence (whole slot rows; with few, a task takes fewer
    /// heads so every thread has work): 40 sequences give the tests' two threads twenty tasks of all heads each.
    /// </summary>
    [Theory]
    [InlineData(ScalarType.Float32, 12, 4, 64)]
    [InlineData(ScalarType.BFloat16, 12, 4, 64)]
    [InlineData(ScalarType.Float16, 8, 2, 128)]
    [InlineData(ScalarType.Float32, 8, 4, 8)]
    [InlineData(ScalarType.BFloat16, 6, 3, 40)]
    [InlineData(ScalarType.Float32, 14, 2, 48)]
    public void DecodeAttention_ManySequences_TasksOfAllKvHeads_MatchFloat64Reference(ScalarType kvDtype, int heads, int kvHeads, int headDim)
    {
        var random = new Random(HashCode.Combine(kvDtype, heads, kvHeads, headDim, Environment.TickCount));
        var lengths = Enumerable.Range(0, 40).Select(_ => random.Next(1, 200)).ToArray();
        AssertMatchesReference(random, lengths, kvDtype, heads, kvHeads, headDim, portableOnly: false);
    }

    private static void AssertMatchesReference(Random random, int[] lengths, ScalarType kvDtype, int heads, int kvHeads, int headDim, bool portableOnly)
    {
        using var scope = NewDisposeScope();
        var (keys, values, slotLists) = PagedPool(random, lengths, kvHeads, headDim, kvDtype);
        // Queries as the decoder has them: a narrow of the fused [N, H + 2Hkv, Dh] projection (dense rows, strided), with
        // the decode rows scattered among rows the kernel must leave alone.
        var n = lengths.Length + 3;
        var fused = RandomTensor(random, 2.0f, n, heads + 2 * kvHeads, headDim);
        var q = fused.narrow(1, 0, heads);
        var rows = Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(lengths.Length).ToArray();
        var (slots, offsets) = Flatten(slotLists);
        var output = full(n, heads * headDim, 12345.0f);

        Assert.True(Kernels.TryDecodeAttention(q, keys, values, rows, slots, offsets, lengths, output, portableOnly));

        var expected = Reference(q, keys, values, rows, slotLists);
        var actual = output.to_type(ScalarType.Float64);
        for (var i = 0; i < lengths.Length; i++)
        {
            GroupedQueryAttentionTests.AssertClose(expected[i], actual[rows[i]], 2e-6 * Math.Sqrt(lengths[i]) + 1e-6);
        }
        foreach (var untouched in Enumerable.Range(0, n).Except(rows))
        {
            Assert.True(output[untouched].eq(12345.0f).all().item<bool>(), $"row {untouched} is not a decode row and must stay untouched");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void Forward_WithKernels_AgreesWithTheLibTorchPath_OnAMixedDecodeAndPrefillBatch(ScalarType kvDtype)
    {
        using var scope = NewDisposeScope();
        var random = new Random(HashCode.Combine(kvDtype, Environment.TickCount));
        var config = RandomModels.Config(heads: 12, kvHeads: 4, headDim: 64);
        var contexts = new[] { 40, 1, 90, 7 };
        var (keys, values, slotLists) = PagedPool(random, contexts.Append(30).ToArray(), config.NumKvHeads, config.HeadDim, kvDtype);
        // Decode rows around a prefill chunk of 5 new tokens continuing a 25-token context (the fifth slot list).
        var sequences = new List<(IReadOnlyList<int>, int[])>
        {
            (new int[1], slotLists[0]), (new int[1], slotLists[1]), (new int[5], slotLists[4]), (new int[1], slotLists[2]), (new int[1], slotLists[3]),
        };
        var batch = ForwardBatch.Create(sequences);
        var q = RandomTensor(random, 2.0f, batch.TokenIds.Length, config.NumHeads, config.HeadDim);
        var plan = AttentionPlan.Build(batch);

        var byLibTorch = GroupedQueryAttention.Forward(q, keys, values, plan, GroupedQueryAttention.StepTensors(plan, config, null, kvDtype), config);
        var kernelTensors = GroupedQueryAttention.StepTensors(plan, config, Kernels, kvDtype);
        var byKernel = GroupedQueryAttention.Forward(q, keys, values, plan, kernelTensors, config, Kernels);

        Assert.Null(kernelTensors.Decode); // the kernel reads the slot arrays: no padded copy of them was built
        GroupedQueryAttentionTests.AssertClose(byLibTorch.to_type(ScalarType.Float64), byKernel.to_type(ScalarType.Float64), 2e-5);
    }

    [Fact]
    public void DecodeAttention_RefusesWhatItCannotRead_AndRejectsSlotsOutsideThePool()
    {
        using var scope = NewDisposeScope();
        var q = randn(2, 4, 16);
        var keys = randn(10, 2, 16);
        var output = empty(2, 64);
        int[] rows = [0, 1], slots = [3, 4, 5], offsets = [0, 1], lengths = [1, 2];
        Assert.True(Kernels.TryDecodeAttention(q, keys, keys, rows, slots, offsets, lengths, output));
        Assert.False(Kernels.TryDecodeAttention(q, keys.to_type(ScalarType.Float64), keys.to_type(ScalarType.Float64), rows, slots, offsets, lengths, output));
        Assert.False(Kernels.TryDecodeAttention(q.transpose(1, 2).contiguous().transpose(1, 2), keys, keys, rows, slots, offsets, lengths, output)); // rows not dense
        Assert.False(Kernels.TryDecodeAttention(randn(2, 3, 16), keys, keys, rows, slots, offsets, lengths, empty(2, 48))); // 3 heads over 2 K/V heads
        Assert.Throws<ArgumentException>(() => Kernels.TryDecodeAttention(q, keys, keys, rows, [3, 4, 10], offsets, lengths, output));
        Assert.Throws<ArgumentException>(() => Kernels.TryDecodeAttention(q, keys, keys, rows, slots, [0, 2], lengths, output));
        Assert.Throws<ArgumentException>(() => Kernels.TryDecodeAttention(q, keys, keys, [0, 2], slots, offsets, lengths, output));
    }

    /// <summary>
    /// A pool of shuffled 16-slot blocks: each sequence owns whole blocks in random order, written with random K/V; every
    /// other slot holds NaN. Returns the pool layers ([slots, Hkv, Dh] in <paramref name="dtype"/>) and each slot list.
    /// </summary>
    internal static (Tensor Keys, Tensor Values, int[][] SlotLists) PagedPool(Random random, int[] lengths, int kvHeads, int headDim, ScalarType dtype)
    {
        var blocksNeeded = lengths.Sum(l => (l + BlockSize - 1) / BlockSize);
        var totalBlocks = blocksNeeded * 2 + 3;
        var blockOrder = Enumerable.Range(0, totalBlocks).OrderBy(_ => random.Next()).ToArray();
        var keys = full(totalBlocks * BlockSize, kvHeads, headDim, float.NaN).to_type(dtype);
        var values = full(totalBlocks * BlockSize, kvHeads, headDim, float.NaN).to_type(dtype);
        var nextBlock = 0;
        var slotLists = new int[lengths.Length][];
        for (var s = 0; s < lengths.Length; s++)
        {
            var blocks = blockOrder.Skip(nextBlock).Take((lengths[s] + BlockSize - 1) / BlockSize).ToArray();
            nextBlock += blocks.Length;
            slotLists[s] = Enumerable.Range(0, lengths[s]).Select(p => blocks[p / BlockSize] * BlockSize + p % BlockSize).ToArray();
            var written = tensor(slotLists[s].Select(x => (long)x).ToArray());
            keys.index_copy_(0, written, RandomTensor(random, 1.0f, lengths[s], kvHeads, headDim).to_type(dtype));
            values.index_copy_(0, written, RandomTensor(random, 1.0f, lengths[s], kvHeads, headDim).to_type(dtype));
        }
        return (keys, values, slotLists);
    }

    private static (int[] Slots, int[] Offsets) Flatten(int[][] slotLists)
    {
        var offsets = new int[slotLists.Length];
        for (var s = 1; s < slotLists.Length; s++)
        {
            offsets[s] = offsets[s - 1] + slotLists[s - 1].Length;
        }
        return (slotLists.SelectMany(l => l).ToArray(), offsets);
    }

    private static Tensor RandomTensor(Random random, float spread, params long[] shape)
    {
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1) * spread;
        }
        return tensor(values, shape);
    }

    /// <summary>Plain softmax attention per query head over its K/V head's listed slots, in float64: [B] of [H*Dh].</summary>
    private static Tensor[] Reference(Tensor q, Tensor keys, Tensor values, int[] rows, int[][] slotLists)
    {
        long heads = q.shape[1], headDim = q.shape[2], group = heads / keys.shape[1];
        var results = new Tensor[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var slots = tensor(slotLists[i].Select(x => (long)x).ToArray());
            var k = keys.index_select(0, slots).to_type(ScalarType.Float64).data<double>().ToArray();   // [L, Hkv, Dh]
            var v = values.index_select(0, slots).to_type(ScalarType.Float64).data<double>().ToArray(); // [L, Hkv, Dh]
            var query = q[rows[i]].to_type(ScalarType.Float64).contiguous().data<double>().ToArray();   // [H, Dh]
            var length = slotLists[i].Length;
            var kvHeads = keys.shape[1];
            var result = new double[heads * headDim];
            for (var h = 0; h < heads; h++)
            {
                var kvHead = h / group;
                var scores = new double[length];
                for (var j = 0; j < length; j++)
                {
                    var dot = 0.0;
                    for (var c = 0; c < headDim; c++)
                    {
                        dot += query[h * headDim + c] * k[(j * kvHeads + kvHead) * headDim + c];
                    }
                    scores[j] = dot / Math.Sqrt(headDim);
                }
                var max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                var total = weights.Sum();
                for (var c = 0; c < headDim; c++)
                {
                    var sum = 0.0;
                    for (var j = 0; j < length; j++)
                    {
                        sum += weights[j] * v[(j * kvHeads + kvHead) * headDim + c];
                    }
                    result[h * headDim + c] = sum / total;
                }
            }
            results[i] = tensor(result);
        }
        return results;
    }
}
