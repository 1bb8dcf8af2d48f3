using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Model;

public class GroupedQueryAttentionTests
{
    [Theory]
    [InlineData(8, 8)] // MHA
    [InlineData(8, 4)]
    [InlineData(8, 2)]
    [InlineData(6, 3)]
    [InlineData(8, 1)] // MQA
    public void Forward_MixedDecodeAndPrefill_EqualsRepeatedHeadFloat64Reference(int heads, int kvHeads)
    {
        using var scope = NewDisposeScope();
        var config = RandomModels.Config(heads, kvHeads);
        var random = new Random(heads * 31 + kvHeads);
        const int slotCount = 200;
        var keys = randn(slotCount, kvHeads, config.HeadDim);
        var values = randn(slotCount, kvHeads, config.HeadDim);
        // Three decode sequences of different lengths and two prefill chunks (one continuing a cached context).
        var shapes = new (int NewTokens, int Context)[] { (1, 5), (7, 7), (1, 19), (4, 13), (1, 1) };
        var slotOrder = Enumerable.Range(0, slotCount).OrderBy(_ => random.Next()).ToArray();
        var used = 0;
        var sequences = shapes.Select(s => ((IReadOnlyList<int>)new int[s.NewTokens], slotOrder.Skip((used += s.Context) - s.Context).Take(s.Context).ToArray())).ToList();
        var batch = ForwardBatch.Create(sequences);
        var q = randn(batch.TokenIds.Length, heads, config.HeadDim);

        var plan = AttentionPlan.Build(batch);
        var actual = GroupedQueryAttention.Forward(q, keys, values, plan, GroupedQueryAttention.StepTensors(plan, config, null, keys.dtype), config);
        var expected = Reference(q, keys, values, batch, config);

        AssertClose(expected, actual.to_type(ScalarType.Float64), 1e-5);
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void Forward_SixteenBitStore_EqualsFloat64ReferenceOverTheStoredValues(ScalarType storeDtype)
    {
        using var scope = NewDisposeScope();
        var config = RandomModels.Config(heads: 8, kvHeads: 2);
        var random = new Random((int)storeDtype);
        const int slotCount = 160;
        // What the pool holds: K/V rounded to 16 bits. The reference reads the same rounded values, widened exactly.
        var keys = randn(slotCount, 2, config.HeadDim).to_type(storeDtype);
        var values = randn(slotCount, 2, config.HeadDim).to_type(storeDtype);
        var shapes = new (int NewTokens, int Context)[] { (1, 33), (5, 21), (1, 2), (1, 17) };
        var slotOrder = Enumerable.Range(0, slotCount).OrderBy(_ => random.Next()).ToArray();
        var used = 0;
        var sequences = shapes.Select(s => ((IReadOnlyList<int>)new int[s.NewTokens], slotOrder.Skip((used += s.Context) - s.Context).Take(s.Context).ToArray())).ToList();
        var batch = ForwardBatch.Create(sequences);
        var q = randn(batch.TokenIds.Length, 8, config.HeadDim);

        var plan = AttentionPlan.Build(batch);
        var actual = GroupedQueryAttention.Forward(q, keys, values, plan, GroupedQueryAttention.StepTensors(plan, config, null, keys.dtype), config);
        var expected = Reference(q, keys, values, batch, config);

        Assert.Equal(ScalarType.Float32, actual.dtype);
        AssertClose(expected, actual.to_type(ScalarType.Float64), 1e-5);
    }

    /// <summary>K/V heads repeated to one per query head, plain softmax attention per token, in float64.</summary>
    private static Tensor Reference(Tensor q, Tensor keys, Tensor values, ForwardBatch batch, ModelConfig config)
    {
        var group = config.GroupSize;
        var rows = new List<Tensor>();
        foreach (var span in batch.Sequences)
        {
            var slots = tensor(span.ContextSlots.Select(s => (long)s).ToArray());
            var k = keys.index_select(0, slots).to_type(ScalarType.Float64).repeat_interleave(group, 1);   // [L, H, Dh]
            var v = values.index_select(0, slots).to_type(ScalarType.Float64).repeat_interleave(group, 1); // [L, H, Dh]
            for (var i = 0; i < span.TokenCount; i++)
            {
                var position = span.ContextLength - span.TokenCount + i;
                var query = q[span.FirstToken + i].to_type(ScalarType.Float64);                          // [H, Dh]
                var visibleK = k.narrow(0, 0, position + 1);
                var visibleV = v.narrow(0, 0, position + 1);
                var scores = einsum("hd,lhd->hl", query, visibleK).div(Math.Sqrt(config.HeadDim));
                var output = einsum("hl,lhd->hd", scores.softmax(-1), visibleV);
                rows.Add(output.reshape(-1));
            }
        }
        return stack(rows);
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double relativeTolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        var error = (expected - actual).abs().max().item<double>();
        var scale = expected.abs().max().item<double>();
        Assert.True(error <= relativeTolerance * scale, $"max abs error {error:E3} exceeds {relativeTolerance:E1} x {scale:E3}");
    }
}
