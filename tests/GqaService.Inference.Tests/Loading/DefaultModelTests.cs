using GqaService.Inference.Loading;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Loading;

public sealed class DefaultModelTests
{
    [Fact]
    public void LoadsTwiceWithIdenticalWeights()
    {
        using var first = ModelLoader.Load(null);
        using var second = ModelLoader.Load("");

        Assert.Equal(TensorValues.Of(first.Weights.TokenEmbedding), TensorValues.Of(second.Weights.TokenEmbedding));
        Assert.Equal(TensorValues.Of(first.Weights.Layers[3].QkvProjection), TensorValues.Of(second.Weights.Layers[3].QkvProjection));
        Assert.Equal(TensorValues.Of(first.Weights.Layers[0].DownProjection), TensorValues.Of(second.Weights.Layers[0].DownProjection));
        var embedding = TensorValues.Of(first.Weights.TokenEmbedding);
        Assert.InRange(Math.Sqrt(embedding.Average(x => (double)x * x)), 0.018, 0.022);
        Assert.All(TensorValues.Of(first.Weights.FinalNorm), x => Assert.Equal(1f, x));
    }

    [Fact]
    public void DescribesItselfAsADemoWithGpt2Tokenizer()
    {
        using var model = DefaultModel.Load();

        Assert.True(model.Description.IsDemo);
        Assert.Contains("DEMO", model.Description.Id);
        Assert.True(model.Description.HasTokenizer);
        var config = model.Weights.Config;
        Assert.Equal((256, 4, 8, 2, 688, 50257, 1024), (config.Dim, config.NumLayers, config.NumHeads, config.NumKvHeads, config.HiddenDim, config.VocabSize, config.MaxContext));
        Assert.Equal(50256, config.EosTokenId);
        var tokenizer = model.Tokenizer!;
        Assert.Null(tokenizer.BosTokenId);
        Assert.Equal(50256, tokenizer.EosTokenId);
        const string text = "Hello, world! héllo 日本 🙂";
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void TokenizerPathWithoutModelPathIsRejected() =>
        Assert.Throws<ModelLoadException>(() => ModelLoader.Load(null, "/tmp/tokenizer.model"));
}
