using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>/v1/capacity against hand computation: exact integers for GQA, MHA and MQA, and the arithmetic shown.</summary>
public sealed class CapacityTests
{
    [Fact]
    public async Task Post_Llama3_8BShape_InFloat16_MatchesHandComputation()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        // 32 layers, 32 query heads, 8 KV heads of 128, float16: 2·32·8·128·2 = 131,072 B/token. 8,192 tokens are 512 blocks
        // of 16. A 16 GiB budget is 8,192 blocks of 2 MiB: 16 sequences, 131,072 tokens. MHA is 4x that per token, MQA 1/8.
        using var response = await client.PostAsJsonAsync("/v1/capacity", new
        {
            layers = 32, heads = 32, kv_heads = 8, head_dim = 128, dtype = "float16", context = 8192, block_size = 16, budget_bytes = 17_179_869_184L,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var layouts = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("layouts");
        var expected = new (string Name, int KvHeads, long PerToken, long PerSequence, long BudgetBlocks, long Sequences, long Tokens)[]
        {
            ("gqa", 8, 131_072, 1_073_741_824, 8_192, 16, 131_072),
            ("mha", 32, 524_288, 4_294_967_296, 2_048, 4, 32_768),
            ("mqa", 1, 16_384, 134_217_728, 65_536, 128, 1_048_576),
        };
        Assert.Equal(expected.Length, layouts.GetArrayLength());
        foreach (var (layout, want) in layouts.EnumerateArray().Zip(expected))
        {
            Assert.Equal(want.Name, layout.GetProperty("name").GetString());
            Assert.Equal(want.KvHeads, layout.GetProperty("kv_heads").GetInt32());
            Assert.Equal(want.PerToken, layout.GetProperty("bytes_per_token").GetInt64());
            Assert.Equal(512, layout.GetProperty("blocks_per_sequence").GetInt32());
            Assert.Equal(want.PerSequence, layout.GetProperty("bytes_per_sequence").GetInt64());
            var budget = layout.GetProperty("budget");
            Assert.Equal((want.BudgetBlocks, want.Sequences, want.Tokens),
                (budget.GetProperty("blocks").GetInt64(), budget.GetProperty("sequences").GetInt64(), budget.GetProperty("tokens").GetInt64()));
        }
        Assert.Equal("2 (K and V) × 32 layers × 8 KV heads × 128 head_dim × 2 bytes (float16) = 131,072 bytes",
            layouts[0].GetProperty("bytes_per_token_arithmetic").GetString());
        Assert.Equal("ceil(8,192 tokens / 16 per block) = 512 blocks", layouts[0].GetProperty("blocks_per_sequence_arithmetic").GetString());
    }

    [Fact]
    public async Task Post_AContextThatIsNotAWholeNumberOfBlocks_RoundsBlocksUp_AndABudgetHoldsWholeBlocks()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        // 2·2·2·8·4 = 256 B/token, 4,096 B per block of 16; 1,000 tokens take ceil(1000/16) = 63 blocks; 100,000 bytes hold
        // floor(100000/4096) = 24 blocks = 384 tokens, no whole sequence.
        using var response = await client.PostAsJsonAsync("/v1/capacity", new
        {
            layers = 2, heads = 4, kv_heads = 2, head_dim = 8, dtype = "float32", context = 1000, block_size = 16, budget_bytes = 100_000,
        });

        var gqa = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("layouts")[0];
        Assert.Equal(256, gqa.GetProperty("bytes_per_token").GetInt64());
        Assert.Equal(63, gqa.GetProperty("blocks_per_sequence").GetInt32());
        Assert.Equal(63 * 16 * 256, gqa.GetProperty("bytes_per_sequence").GetInt64());
        var budget = gqa.GetProperty("budget");
        Assert.Equal((24, 0, 384), (budget.GetProperty("blocks").GetInt64(), budget.GetProperty("sequences").GetInt64(), budget.GetProperty("tokens").GetInt64()));
    }

    [Fact]
    public async Task Post_ABadShape_Is400_NamingEachField()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());
        using var client = app.CreateClient();

        using var response = await client.PostAsJsonAsync("/v1/capacity", new { layers = 0, heads = 32, kv_heads = 3, head_dim = 128, dtype = "fp8" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["dtype", "kv_heads", "layers"], errors.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task Get_ForTheServedModel_AgreesWithThePoolItAllocated()
    {
        // The demo model: 4 layers, 8 query heads / 2 KV heads of 32, float32: 2·4·2·32·4 = 2,048 B/token; 1 MiB = 32 blocks of 16.
        await using var app = TestApp.CreateReal(new Dictionary<string, string?> { ["Inference:KvCacheMiB"] = "1" });
        using var client = app.CreateClient();
        await RealModelTests.WaitUntilReadyAsync(client);

        var memory = await client.GetFromJsonAsync<JsonElement>("/v1/memory");
        var report = await client.GetFromJsonAsync<JsonElement>("/v1/capacity?context=100");

        var layouts = report.GetProperty("layouts");
        var gqa = layouts[0];
        Assert.Equal(memory.GetProperty("kv_bytes_per_token").GetInt64(), gqa.GetProperty("bytes_per_token").GetInt64());
        Assert.Equal(memory.GetProperty("mha_kv_bytes_per_token").GetInt64(), layouts[1].GetProperty("bytes_per_token").GetInt64());
        Assert.Equal(2048, gqa.GetProperty("bytes_per_token").GetInt64());
        Assert.Equal(7, gqa.GetProperty("blocks_per_sequence").GetInt32());
        var pool = gqa.GetProperty("pool");
        Assert.Equal(memory.GetProperty("bytes_total").GetInt64(), pool.GetProperty("bytes").GetInt64());
        Assert.Equal(memory.GetProperty("blocks_total").GetInt64(), pool.GetProperty("blocks").GetInt64());
        // floor(32 / 7) = 4 sequences of 100 tokens; under MHA the same bytes are 8 blocks: 1 sequence; under MQA 64 blocks: 9.
        Assert.Equal(4, pool.GetProperty("sequences").GetInt64());
        Assert.Equal(1, layouts[1].GetProperty("pool").GetProperty("sequences").GetInt64());
        Assert.Equal(9, layouts[2].GetProperty("pool").GetProperty("sequences").GetInt64());
    }
}
