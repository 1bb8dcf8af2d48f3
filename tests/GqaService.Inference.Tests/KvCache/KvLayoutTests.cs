using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.KvCache;

/// <summary>KV bytes per token, per block and per budget follow <c>Inference:KvDtype</c>; every figure here is computed by hand.</summary>
public sealed class KvLayoutTests
{
    // stories260K: 5 layers, 8 query heads, 4 KV heads of 8.
    private static readonly ModelConfig Stories = new() { Dim = 64, NumLayers = 5, NumHeads = 8, NumKvHeads = 4, HiddenDim = 172, VocabSize = 512, MaxContext = 512 };

    // random100M: 12 layers, 12 query heads, 4 KV heads of 64.
    private static readonly ModelConfig Random100M = new() { Dim = 768, NumLayers = 12, NumHeads = 12, NumKvHeads = 4, HiddenDim = 2048, VocabSize = 32000, MaxContext = 1024 };

    [Theory]
    // 2 (K and V) x 5 layers x 4 KV heads x 8 = 320 elements a token; MHA: 2 x 5 x 8 x 8 = 640.
    [InlineData(KvDtype.F32, 1280, 2560)]
    [InlineData(KvDtype.Bf16, 640, 1280)]
    [InlineData(KvDtype.F16, 640, 1280)]
    public void Stories260K_BytesPerTokenAndBlock(KvDtype dtype, long perToken, long mhaPerToken)
    {
        var layout = new KvLayout(Stories, dtype, blockSize: 16);

        Assert.Equal(perToken, layout.BytesPerToken);
        Assert.Equal(mhaPerToken, layout.MhaBytesPerToken);
        Assert.Equal(perToken * 16, layout.BytesPerBlock);
        // The model's own arithmetic, which other code still calls, agrees.
        Assert.Equal(Stories.KvBytesPerToken(layout.BytesPerElement), layout.BytesPerToken);
    }

    [Theory]
    // 2 x 12 x 4 x 64 = 6144 elements: 24 KiB a token in float32, 12 KiB in 16 bits; blocks of 16 tokens.
    [InlineData(KvDtype.F32, 24_576, 393_216)]
    [InlineData(KvDtype.Bf16, 12_288, 196_608)]
    [InlineData(KvDtype.F16, 12_288, 196_608)]
    public void Random100M_BytesPerTokenAndBlock(KvDtype dtype, long perToken, long perBlock)
    {
        var layout = new KvLayout(Random100M, dtype, blockSize: 16);

        Assert.Equal((perToken, perBlock), (layout.BytesPerToken, layout.BytesPerBlock));
    }

    [Theory]
    // 64 MiB / (1280 x 16) = 3276.8, so 3276 float32 blocks; a 16-bit block is half the size: 6553 blocks.
    [InlineData("f32", 3276)]
    [InlineData("bf16", 6553)]
    [InlineData("F16", 6553)]
    public void Budget_HoldsTwiceTheBlocksInSixteenBits(string dtype, int blocks)
    {
        var options = new EngineOptions { KvCacheMiB = 64, KvDtype = dtype, BlockSize = 16 };

        Assert.Equal(blocks, KvBudget.Blocks(Stories, options, Stories.MaxContext));
        Assert.Equal(blocks, KvBudget.Blocks(KvLayout.For(Stories, options), options, Stories.MaxContext));
    }

    [Fact]
    public void DefaultBudget_IsSizedInTheConfiguredDtype()
    {
        // No KvCacheMiB: every step slot holds a full context. 4 sequences x 512 tokens x 640 bytes in bf16.
        var options = new EngineOptions { KvDtype = "bf16", MaxSequencesPerStep = 4 };

        Assert.Equal(4L * 512 * 640, KvBudget.Bytes(Stories, options, 512));
        Assert.Equal(4 * 512 / 16, KvBudget.Blocks(Stories, options, 512));
    }

    [Theory]
    [InlineData(KvDtype.F32, ScalarType.Float32)]
    [InlineData(KvDtype.Bf16, ScalarType.BFloat16)]
    [InlineData(KvDtype.F16, ScalarType.Float16)]
    public void Pool_StoresTheLayoutsDtypeAndItsBytes(KvDtype dtype, ScalarType scalarType)
    {
        using var pool = new KvPool(new KvLayout(Stories, dtype, blockSize: 4), totalBlocks: 3);

        for (var layer = 0; layer < Stories.NumLayers; layer++)
        {
            Assert.Equal(scalarType, pool.Keys(layer).dtype);
            Assert.Equal(scalarType, pool.Values(layer).dtype);
            Assert.Equal([12L, 4, 8], pool.Keys(layer).shape);
        }
        var tensorBytes = Enumerable.Range(0, Stories.NumLayers)
            .Sum(l => pool.Keys(l).NumberOfElements * pool.Keys(l).ElementSize + pool.Values(l).NumberOfElements * pool.Values(l).ElementSize);
        Assert.Equal(pool.TotalBytes, tensorBytes);
        Assert.Equal(3 * pool.Layout.BytesPerBlock, pool.TotalBytes);
    }

    [Fact]
    public void Snapshot_IsPricedAndNamedByTheLayout()
    {
        var layout = new KvLayout(Stories, KvDtype.Bf16, blockSize: 4);
        var allocator = new BlockAllocator(10);
        var sequence = new KvSequence(allocator, new PrefixBlockIndex(), 4);
        Assert.True(sequence.TryReserve(6, []));
        sequence.Append([1, 2, 3, 4, 5, 6]);

        var snapshot = KvMemoryAccounting.Snapshot(allocator, layout, [sequence], []);

        Assert.Equal("bfloat16", snapshot.KvDtype);
        Assert.Equal((640L, 1280L), (snapshot.KvBytesPerToken, snapshot.MhaKvBytesPerToken));
        Assert.Equal(640 * 4, snapshot.BytesPerBlock);
        Assert.Equal((10 * 2560L, 2 * 2560L), (snapshot.BytesTotal, snapshot.BytesUsed));
        Assert.Equal(6 * (1280 - 640), snapshot.GqaSavedBytes);
        sequence.ReleaseAll();
    }

    [Theory]
    [InlineData("fp8")]
    [InlineData("float32")]
    [InlineData("")]
    public void UnknownDtype_IsRefusedAtStartNamingTheSetting(string dtype)
    {
        var result = new EngineOptionsValidator().Validate(null, new EngineOptions { KvDtype = dtype });

        Assert.True(result.Failed);
        Assert.Contains($"KvDtype: '{dtype}' is not one of f32, bf16, f16", result.FailureMessage);
    }
}
