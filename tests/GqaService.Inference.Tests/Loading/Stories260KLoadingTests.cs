using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Loading;

public sealed class Stories260KLoadingTests
{
    [RequiresSharedModelsFact]
    public void Llama2cCheckpointLoadsWithItsShape()
    {
        using var model = ModelLoader.Load(SharedModels.Stories260KBin);

        var config = model.Weights.Config;
        Assert.Equal(64, config.Dim);
        Assert.Equal(5, config.NumLayers);
        Assert.Equal(8, config.NumHeads);
        Assert.Equal(4, config.NumKvHeads);
        Assert.Equal(172, config.HiddenDim);
        Assert.Equal(512, config.VocabSize);
        Assert.Equal(512, config.MaxContext);
        Assert.True(config.TiedEmbeddings);
        Assert.Same(model.Weights.TokenEmbedding, model.Weights.Classifier);
        Assert.Equal(RopeLayout.Interleaved, config.RopeLayout);
        Assert.Equal(1, config.EosTokenId);
        Assert.NotNull(model.Tokenizer);
        Assert.Equal(512, model.Tokenizer.VocabSize);
        Assert.Equal("stories260K", model.Description.Id);
        Assert.True(model.Description.HasTokenizer);
        Assert.Equal(model.Weights.ParameterCount, model.Description.ParameterCount);
    }

    [RequiresSharedModelsFact]
    public void FolderHoldingOneCheckpoint_LoadsThatCheckpointAndItsTokenizer()
    {
        using var model = ModelLoader.Load(Path.GetDirectoryName(SharedModels.Stories260KBin));

        Assert.Equal("stories260K", model.Description.Id);
        Assert.NotNull(model.Tokenizer);
        var empty = Directory.CreateTempSubdirectory();
        Assert.Throws<ModelLoadException>(() => ModelLoader.Load(empty.FullName));
        empty.Delete();
    }

    [RequiresSharedModelsFact]
    public void HuggingFaceDirectoryHoldsTheSameWeightsWithPermutedQueryAndKeyRows()
    {
        using var llama2c = ModelLoader.Load(SharedModels.Stories260KBin);
        using var hf = ModelLoader.Load(SharedModels.Stories260KHf);
        var config = hf.Weights.Config;
        Assert.Equal(llama2c.Weights.Config with { RopeLayout = RopeLayout.RotateHalf, EosTokenId = 2 }, config);
        Assert.NotNull(hf.Tokenizer);

        AssertEqual(llama2c.Weights.TokenEmbedding, hf.Weights.TokenEmbedding);
        AssertEqual(llama2c.Weights.FinalNorm, hf.Weights.FinalNorm);
        for (var i = 0; i < config.NumLayers; i++)
        {
            var (expected, actual) = (llama2c.Weights.Layers[i], hf.Weights.Layers[i]);
            using var scope = NewDisposeScope();
            var (q, kv) = (config.QueryWidth, config.KvWidth);
            var expectedQ = expected.QkvProjection.narrow(0, 0, q);
            var expectedK = expected.QkvProjection.narrow(0, q, kv);
            Assert.NotEqual(TensorValues.Of(expectedQ), TensorValues.Of(actual.QkvProjection.narrow(0, 0, q)));
            AssertEqual(HuggingFacePermute(expectedQ, config.NumHeads), actual.QkvProjection.narrow(0, 0, q));
            AssertEqual(HuggingFacePermute(expectedK, config.NumKvHeads), actual.QkvProjection.narrow(0, q, kv));
            AssertEqual(expected.QkvProjection.narrow(0, q + kv, kv), actual.QkvProjection.narrow(0, q + kv, kv));
            AssertEqual(expected.AttentionNorm, actual.AttentionNorm);
            AssertEqual(expected.OutputProjection, actual.OutputProjection);
            AssertEqual(expected.FeedForwardNorm, actual.FeedForwardNorm);
            AssertEqual(expected.GateUpProjection, actual.GateUpProjection);
            AssertEqual(expected.DownProjection, actual.DownProjection);
        }
    }

    /// <summary>Hugging Face's convert_llama_weights_to_hf permute: within each head, interleaved pairs become halves.</summary>
    private static Tensor HuggingFacePermute(Tensor w, int heads)
    {
        var rows = w.shape[0];
        var columns = w.shape[1];
        return w.view(heads, rows / heads / 2, 2, columns).transpose(1, 2).reshape(rows, columns);
    }

    private static void AssertEqual(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(TensorValues.Of(expected), TensorValues.Of(actual));
    }
}
