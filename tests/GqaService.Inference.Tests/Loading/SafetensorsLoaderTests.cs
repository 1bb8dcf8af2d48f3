using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Loading;

public sealed class SafetensorsLoaderTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("F32", false)]
    [InlineData("F16", false)]
    [InlineData("BF16", true)]
    public void TensorsConvertToTheStoredValues(string dtype, bool tied)
    {
        var hf = new HuggingFaceDirectoryWriter(Llama2cCheckpointWriter.Small(tied).Fill(11)) { DType = dtype }.Build();
        hf.WriteTo(_directory.Path);

        using var model = ModelLoader.Load(_directory.Path);

        var config = model.Weights.Config;
        Assert.Equal(RopeLayout.RotateHalf, config.RopeLayout);
        Assert.Equal(tied, config.TiedEmbeddings);
        Assert.Equal(2, config.EosTokenId);
        AssertWeightsEqual(hf, model.Weights);
    }

    [Fact]
    public void ShardedIndexLoads()
    {
        var hf = new HuggingFaceDirectoryWriter(Llama2cCheckpointWriter.Small(sharedClassifier: false).Fill(12)).Build();
        hf.WriteTo(_directory.Path, shards: 3);
        Assert.False(File.Exists(_directory.File("model.safetensors")));

        using var model = ModelLoader.Load(_directory.Path);

        AssertWeightsEqual(hf, model.Weights);
    }

    [Fact]
    public void MissingTensorIsNamedWithItsFile()
    {
        const string missing = "model.layers.1.mlp.up_proj.weight";
        new HuggingFaceDirectoryWriter(Llama2cCheckpointWriter.Small().Fill(13)).Build().WriteTo(_directory.Path, include: name => name != missing);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Equal(_directory.File("model.safetensors"), error.Path);
        Assert.Contains($"missing tensor '{missing}'", error.Message);
    }

    [Fact]
    public void HeaderLongerThanFileIsRejected()
    {
        var hf = new HuggingFaceDirectoryWriter(Llama2cCheckpointWriter.Small().Fill(14)).Build();
        hf.WriteTo(_directory.Path);
        var weights = _directory.File("model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (long)bytes.Length);
        File.WriteAllBytes(weights, bytes);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Equal(weights, error.Path);
        Assert.Contains("header length", error.Message);
    }

    [Fact]
    public void DataOffsetsBeyondTheFileAreRejected()
    {
        new HuggingFaceDirectoryWriter(Llama2cCheckpointWriter.Small().Fill(15)).Build().WriteTo(_directory.Path);
        var weights = _directory.File("model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..^16]);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Equal(weights, error.Path);
        Assert.Contains("outside", error.Message);
    }

    [Fact]
    public void WrongShapeIsRejectedNamingTheTensor()
    {
        var hf = new HuggingFaceDirectoryWriter(Llama2cCheckpointWriter.Small().Fill(16)).Build();
        const string name = "model.layers.0.self_attn.k_proj.weight";
        var (shape, values) = hf.Tensors[name];
        hf.Tensors[name] = ([shape[1], shape[0]], values);
        hf.WriteTo(_directory.Path);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Contains($"tensor '{name}' has shape [16, 8], expected [8, 16]", error.Message);
    }

    [Fact]
    public void InvalidConfigJsonIsRejectedNamingConfigJson()
    {
        new HuggingFaceDirectoryWriter(Llama2cCheckpointWriter.Small().Fill(17)).Build().WriteTo(_directory.Path);
        File.WriteAllText(_directory.File("config.json"), "{ \"hidden_size\": 16, ");

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Equal(_directory.File("config.json"), error.Path);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void ConfigMissingAFieldOrWithBadHeadsIsRejected()
    {
        var hf = new HuggingFaceDirectoryWriter(Llama2cCheckpointWriter.Small().Fill(18)).Build();
        hf.WriteTo(_directory.Path);
        var config = _directory.File("config.json");

        var withoutHiddenSize = System.Text.Json.Nodes.JsonNode.Parse(hf.ConfigJson())!.AsObject();
        withoutHiddenSize.Remove("hidden_size");
        File.WriteAllText(config, withoutHiddenSize.ToJsonString());
        Assert.Contains("lacks required field 'hidden_size'", Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path)).Message);

        // A misspelt key is not silently ignored either.
        File.WriteAllText(config, hf.ConfigJson().Replace("\"hidden_size\"", "\"hidden_sighs\""));
        Assert.Contains("config key 'hidden_sighs' is not understood", Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path)).Message);

        File.WriteAllText(config, hf.ConfigJson().Replace("\"num_key_value_heads\":2", "\"num_key_value_heads\":3"));
        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));
        Assert.Equal(config, error.Path);
        Assert.Contains("NumKvHeads", error.Message);
    }

    private static void AssertWeightsEqual(HuggingFaceDirectoryWriter hf, ModelWeights weights)
    {
        float[] T(string name) => hf.Tensors[name].Values;
        Assert.Equal(T("model.embed_tokens.weight"), TensorValues.Of(weights.TokenEmbedding));
        Assert.Equal(T("model.norm.weight"), TensorValues.Of(weights.FinalNorm));
        for (var i = 0; i < weights.Config.NumLayers; i++)
        {
            var layer = weights.Layers[i];
            var prefix = $"model.layers.{i}.";
            Assert.Equal(T(prefix + "input_layernorm.weight"), TensorValues.Of(layer.AttentionNorm));
            Assert.Equal([.. T(prefix + "self_attn.q_proj.weight"), .. T(prefix + "self_attn.k_proj.weight"), .. T(prefix + "self_attn.v_proj.weight")],
                TensorValues.Of(layer.QkvProjection));
            Assert.Equal(T(prefix + "self_attn.o_proj.weight"), TensorValues.Of(layer.OutputProjection));
            Assert.Equal(T(prefix + "post_attention_layernorm.weight"), TensorValues.Of(layer.FeedForwardNorm));
            Assert.Equal([.. T(prefix + "mlp.gate_proj.weight"), .. T(prefix + "mlp.up_proj.weight")], TensorValues.Of(layer.GateUpProjection));
            Assert.Equal(T(prefix + "mlp.down_proj.weight"), TensorValues.Of(layer.DownProjection));
        }
        if (weights.Config.TiedEmbeddings)
        {
            Assert.Same(weights.TokenEmbedding, weights.Classifier);
        }
        else
        {
            Assert.Equal(T("lm_head.weight"), TensorValues.Of(weights.Classifier));
        }
    }
}
