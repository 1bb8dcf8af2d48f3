using System.Text.Json.Nodes;
using GqaService.Inference.KvCache;
using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Loading;

public sealed class KvHeadRegroupingTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public void Llama2cInterleavedRows_PooledKeyAndValueRowsEqualAFloat64MeanOfEachGroup(int groups)
    {
        var writer = new Llama2cCheckpointWriter { Dim = 32, HiddenDim = 40, NumLayers = 2, NumHeads = 8, NumKvHeads = 4, VocabSize = 50, SeqLen = 32 }.Fill(seed: 17 + groups);
        var path = _directory.File("model.bin");
        File.WriteAllBytes(path, writer.ToBytes());

        using var model = KvHeadRegrouping.Apply(ModelLoader.Load(path), groups);

        var config = model.Weights.Config;
        Assert.Equal(groups, config.NumKvHeads);
        Assert.Equal(4, model.Description.RegroupedFromKvHeads);
        for (var layer = 0; layer < 2; layer++)
        {
            var perLayer = writer.KvDim * writer.Dim;
            var wk = writer.Array("wk").AsSpan(layer * perLayer, perLayer).ToArray();
            var wv = writer.Array("wv").AsSpan(layer * perLayer, perLayer).ToArray();
            var qkv = model.Weights.Layers[layer].QkvProjection;
            AssertClose(ReferencePool(wk, heads: 4, headDim: 4, columns: 32, groups), TensorValues.Rows(qkv, config.QueryWidth, config.KvWidth));
            AssertClose(ReferencePool(wv, heads: 4, headDim: 4, columns: 32, groups), TensorValues.Rows(qkv, config.QueryWidth + config.KvWidth, config.KvWidth));
        }
    }

    [Fact]
    public void HuggingFaceRotateHalfRowsWithBiases_PooledRowsAndBiasesEqualAFloat64MeanOfEachGroup()
    {
        // Qwen2.5's config made multi-head (7 K/V heads for 7 query heads), then regrouped all the way to MQA.
        var checkpoint = FamilyCheckpoint.Create(WithKvHeads(FamilyCheckpoint.Configs.Qwen25, 7), seed: 23);
        checkpoint.WriteTo(_directory.Path);

        using var model = KvHeadRegrouping.Apply(ModelLoader.Load(_directory.Path), 1);

        var config = model.Weights.Config;
        Assert.Equal(1, config.NumKvHeads);
        for (var layer = 0; layer < checkpoint.Layers; layer++)
        {
            var p = $"model.layers.{layer}.self_attn.";
            var qkv = model.Weights.Layers[layer].QkvProjection;
            var bias = TensorValues.Of(model.Weights.Layers[layer].QkvBias!);
            AssertClose(ReferencePool(checkpoint.Tensors[p + "k_proj.weight"].Values, 7, 4, checkpoint.Dim, 1), TensorValues.Rows(qkv, config.QueryWidth, config.KvWidth));
            AssertClose(ReferencePool(checkpoint.Tensors[p + "v_proj.weight"].Values, 7, 4, checkpoint.Dim, 1), TensorValues.Rows(qkv, config.QueryWidth + config.KvWidth, config.KvWidth));
            AssertClose(ReferencePool(checkpoint.Tensors[p + "k_proj.bias"].Values, 7, 4, 1, 1), bias.AsSpan(config.QueryWidth, config.KvWidth).ToArray());
            AssertClose(ReferencePool(checkpoint.Tensors[p + "v_proj.bias"].Values, 7, 4, 1, 1), bias.AsSpan(config.QueryWidth + config.KvWidth, config.KvWidth).ToArray());
            // Queries are untouched: only who they read from changes.
            AssertClose(checkpoint.Tensors[p + "q_proj.weight"].Values.Select(v => (double)v).ToArray(), TensorValues.Rows(qkv, 0, config.QueryWidth));
        }
    }

    [Theory]
    [InlineData(nameof(FamilyCheckpoint.Configs.TinyLlama), 4, 2)]
    [InlineData(nameof(FamilyCheckpoint.Configs.TinyLlama), 4, 1)]
    [InlineData(nameof(FamilyCheckpoint.Configs.Qwen25), 7, 1)]
    [InlineData(nameof(FamilyCheckpoint.Configs.Mistral01), 2, 1)]
    public void RegroupedModel_ForwardEqualsTheFloat64ReferenceDecoderWithPooledWeights(string configName, int checkpointKvHeads, int groups)
    {
        var json = (string)typeof(FamilyCheckpoint.Configs).GetField(configName)!.GetValue(null)!;
        var checkpoint = FamilyCheckpoint.Create(WithKvHeads(json, checkpointKvHeads), seed: configName.Length + groups);
        checkpoint.WriteTo(_directory.Path);
        var pooled = PooledCheckpoint(checkpoint, groups);

        using var model = KvHeadRegrouping.Apply(ModelLoader.Load(_directory.Path), groups);

        var tokens = RandomModels.Tokens(new Random(groups * 13 + 1), 20, checkpoint.Vocab);
        var expected = Float64ReferenceDecoder.Logits(pooled, tokens);
        var actual = Forward(model.Weights, tokens);
        var difference = MaxDifference(expected, actual);
        Assert.True(difference < 1e-4, $"max |logit difference| {difference:E2}");
        // And pooling changed the model: the unpooled reference is measurably elsewhere, so the comparison can fail.
        Assert.True(MaxDifference(Float64ReferenceDecoder.Logits(checkpoint, tokens), actual) > 1e-2);
    }

    [Fact]
    public void NativeHeadCount_LeavesTheModelAndItsLogitsBitForBitUnchanged()
    {
        using var plain = ModelLoader.Load(TinyCheckpoints.StoriesShaped);
        using var same = KvHeadRegrouping.Apply(ModelLoader.Load(TinyCheckpoints.StoriesShaped), 4);
        var tokens = RandomModels.Tokens(new Random(5), 30, TinyCheckpoints.StoriesShapedVocabSize);

        Assert.Null(same.Description.RegroupedFromKvHeads);
        Assert.Equal(plain.Weights.Config, same.Weights.Config);
        var expected = Forward(plain.Weights, tokens);
        var actual = Forward(same.Weights, tokens);
        for (var t = 0; t < tokens.Length; t++)
        {
            Assert.Equal(expected[t], actual[t]);
        }
    }

    [RequiresSharedModelsFact]
    public void Stories260K_BinAndHuggingFaceLayouts_RegroupToTheSameModel()
    {
        // Same weights, two RoPE row layouts (pairs vs halves, the Hugging Face rows permuted inside each head): pooled in
        // each layout, the two regrouped models must still compute the same logits.
        using var interleaved = KvHeadRegrouping.Apply(ModelLoader.Load(SharedModels.Stories260KBin), 2);
        using var rotateHalf = KvHeadRegrouping.Apply(ModelLoader.Load(SharedModels.Stories260KHf), 2);
        var tokens = RandomModels.Tokens(new Random(9), 40, 512);

        var difference = MaxDifference(Forward(interleaved.Weights, tokens).Select(r => r.Select(v => (double)v).ToArray()).ToArray(),
            Forward(rotateHalf.Weights, tokens));
        Assert.True(difference < 1e-4, $"max |logit difference| {difference:E2}");
    }

    [Fact]
    public void HeadCountThatDoesNotDivide_IsRefusedNamingTheSettingAndTheChoices()
    {
        var error = Assert.Throws<ModelLoadException>(() => KvHeadRegrouping.Apply(ModelLoader.Load(TinyCheckpoints.StoriesShaped), 3));

        Assert.Contains("Inference:KvHeads = 3 must divide the model's 4 K/V heads", error.Message, StringComparison.Ordinal);
        Assert.Contains("possible: 1, 2, 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegroupedModel_KvPoolIsSizedForThePooledHeads()
    {
        using var model = KvHeadRegrouping.Apply(ModelLoader.Load(TinyCheckpoints.StoriesShaped), 1);
        using var pool = new KvPool(model.Weights.Config, totalBlocks: 2, blockSize: 16);

        // 2 (K and V) x 5 layers x 1 head x 8 dims x 4 bytes, a quarter of the checkpoint's 1280.
        Assert.Equal(320, model.Weights.Config.KvBytesPerToken(sizeof(float)));
        Assert.Equal(2 * 16 * 320L, pool.TotalBytes);
    }

    /// <summary>Rows [heads * headDim, columns] → the mean over consecutive groups of heads, in float64.</summary>
    private static double[] ReferencePool(float[] rows, int heads, int headDim, int columns, int groups)
    {
        var perGroup = heads / groups;
        var pooled = new double[groups * headDim * columns];
        for (var g = 0; g < groups; g++)
        {
            for (var r = 0; r < headDim; r++)
            {
                for (var c = 0; c < columns; c++)
                {
                    double sum = 0;
                    for (var member = 0; member < perGroup; member++)
                    {
                        sum += rows[((g * perGroup + member) * headDim + r) * columns + c];
                    }
                    pooled[(g * headDim + r) * columns + c] = sum / perGroup;
                }
            }
        }
        return pooled;
    }

    /// <summary>The checkpoint with its k/v projections (and biases) pooled in float64, as the paper's conversion defines them.</summary>
    private static FamilyCheckpoint PooledCheckpoint(FamilyCheckpoint source, int groups)
    {
        var config = source.Config.DeepClone().AsObject();
        config["num_key_value_heads"] = groups;
        var pooled = FamilyCheckpoint.Create(config.ToJsonString(), seed: 0);
        foreach (var (name, (shape, values)) in source.Tensors)
        {
            var isKv = name.Contains(".k_proj.", StringComparison.Ordinal) || name.Contains(".v_proj.", StringComparison.Ordinal);
            if (!isKv)
            {
                pooled.Tensors[name] = (shape, values);
                continue;
            }
            var columns = shape.Length == 2 ? (int)shape[1] : 1;
            var rows = ReferencePool(values, source.KvHeads, source.HeadDim, columns, groups).Select(v => (float)v).ToArray();
            pooled.Tensors[name] = (shape.Length == 2 ? [groups * source.HeadDim, columns] : [groups * source.HeadDim], rows);
        }
        return pooled;
    }

    private static string WithKvHeads(string configJson, int kvHeads)
    {
        var config = JsonNode.Parse(configJson)!.AsObject();
        config["num_key_value_heads"] = kvHeads;
        return config.ToJsonString();
    }

    private static float[][] Forward(ModelWeights weights, int[] tokens)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var config = weights.Config;
        // Not disposed: the decoder would dispose the weights, which the test's model owns.
        var decoder = new TransformerDecoder(weights);
        using var pool = new KvPool(config, totalBlocks: (tokens.Length + 15) / 16, blockSize: 16);
        var logits = decoder.Forward(DecoderInput.From(ForwardBatch.Create([(tokens, Enumerable.Range(0, tokens.Length).ToArray())], logitsForAllTokens: true)), pool);
        var values = TensorValues.Of(logits);
        return Enumerable.Range(0, tokens.Length).Select(t => values.AsSpan(t * config.VocabSize, config.VocabSize).ToArray()).ToArray();
    }

    private static double MaxDifference(double[][] expected, float[][] actual) =>
        expected.Zip(actual).Max(rows => rows.First.Zip(rows.Second).Max(p => Math.Abs(p.First - p.Second)));

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var difference = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(difference < 1e-6, $"max |difference| {difference:E2}");
    }
}
