using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Loading;

public sealed class Llama2cCheckpointLoaderTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomCheckpointRoundTripsExactValues(bool sharedClassifier)
    {
        var source = Llama2cCheckpointWriter.Small(sharedClassifier).Fill(seed: sharedClassifier ? 1 : 2);
        var path = _directory.File("random.bin");
        File.WriteAllBytes(path, source.ToBytes());

        using var model = ModelLoader.Load(path);

        var weights = model.Weights;
        var config = weights.Config;
        Assert.Equal((16, 24, 2, 4, 2, 32, 8), (config.Dim, config.HiddenDim, config.NumLayers, config.NumHeads, config.NumKvHeads, config.VocabSize, config.MaxContext));
        Assert.Equal(sharedClassifier, config.TiedEmbeddings);
        Assert.Equal(RopeLayout.Interleaved, config.RopeLayout);
        Assert.Equal(1, config.BosTokenId);
        Assert.Equal(1, config.EosTokenId);
        Assert.Null(model.Tokenizer);
        Assert.False(model.Description.HasTokenizer);
        Assert.False(model.Description.IsDemo);
        Assert.Equal("random", model.Description.Id);

        Assert.Equal(source.Array("token_embedding"), TensorValues.Of(weights.TokenEmbedding));
        Assert.Equal(source.Array("rms_final"), TensorValues.Of(weights.FinalNorm));
        for (var i = 0; i < config.NumLayers; i++)
        {
            var layer = weights.Layers[i];
            Assert.Equal(Layer(source, "rms_att", i), TensorValues.Of(layer.AttentionNorm));
            Assert.Equal([.. Layer(source, "wq", i), .. Layer(source, "wk", i), .. Layer(source, "wv", i)], TensorValues.Of(layer.QkvProjection));
            Assert.Equal(Layer(source, "wo", i), TensorValues.Of(layer.OutputProjection));
            Assert.Equal(Layer(source, "rms_ffn", i), TensorValues.Of(layer.FeedForwardNorm));
            Assert.Equal([.. Layer(source, "w1", i), .. Layer(source, "w3", i)], TensorValues.Of(layer.GateUpProjection));
            Assert.Equal(Layer(source, "w2", i), TensorValues.Of(layer.DownProjection));
        }
        if (sharedClassifier)
        {
            Assert.Same(weights.TokenEmbedding, weights.Classifier);
        }
        else
        {
            Assert.Equal(source.Array("wcls"), TensorValues.Of(weights.Classifier));
        }
    }

    [Fact]
    public void FileWithLlama2cHeaderLoadsWhateverItsExtension()
    {
        var path = _directory.File("weights.checkpoint");
        File.WriteAllBytes(path, Llama2cCheckpointWriter.Small().Fill(3).ToBytes());
        using var model = ModelLoader.Load(path);
        Assert.Equal(16, model.Weights.Config.Dim);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1000)]
    public void TruncatedFileIsRejectedNamingFileAndSizes(int missingBytes)
    {
        var bytes = Llama2cCheckpointWriter.Small().Fill(4).ToBytes();
        var path = _directory.File("truncated.bin");
        File.WriteAllBytes(path, bytes[..^missingBytes]);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(path));

        Assert.Equal(path, error.Path);
        Assert.Contains(path, error.Message);
        Assert.Contains($"truncated: expected {bytes.Length} bytes, found {bytes.Length - missingBytes}", error.Message);
    }

    [Fact]
    public void FileShorterThanHeaderIsTruncated()
    {
        var path = _directory.File("tiny.bin");
        File.WriteAllBytes(path, new byte[10]);
        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(path));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        var bytes = Llama2cCheckpointWriter.Small().Fill(5).ToBytes();
        var path = _directory.File("long.bin");
        File.WriteAllBytes(path, [.. bytes, 1, 2, 3]);
        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(path));
        Assert.Equal(path, error.Path);
        Assert.Contains("3 unexpected trailing bytes", error.Message);
    }

    [Theory]
    [InlineData(-16, 4, 2, "Dim")]
    [InlineData(16, 4, 3, "NumKvHeads")]
    [InlineData(16, 4, 0, "NumKvHeads")]
    [InlineData(16, 3, 1, "NumHeads")]
    public void BadHeaderIsRejectedNamingTheField(int dim, int heads, int kvHeads, string field)
    {
        var bytes = Llama2cCheckpointWriter.Small().Fill(6).ToBytes();
        int[] header = [dim, 24, 2, heads, kvHeads, 32, 8];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(header.AsSpan()).CopyTo(bytes);
        var path = _directory.File("bad-header.bin");
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(path));

        Assert.Equal(path, error.Path);
        Assert.Contains($"header field {field}", error.Message);
        Assert.IsType<ModelConfigException>(error.InnerException);
    }

    [Fact]
    public void AbsurdHeaderSizesAreRejectedWithoutAllocating()
    {
        var bytes = Llama2cCheckpointWriter.Small().Fill(7).ToBytes();
        int[] header = [1 << 30, 1 << 30, 1 << 30, 2, 2, 1 << 30, 2];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(header.AsSpan()).CopyTo(bytes);
        var path = _directory.File("huge.bin");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(path));
        Assert.Equal(path, error.Path);
        Assert.Contains("too large", error.Message);
    }

    [Fact]
    public void VersionedExportIsRejectedAsSuch()
    {
        var bytes = Llama2cCheckpointWriter.Small().Fill(10).ToBytes();
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), 0x616b3432u);
        var path = _directory.File("v1.bin");
        File.WriteAllBytes(path, bytes);
        Assert.Contains("versioned llama2.c export", Assert.Throws<ModelLoadException>(() => ModelLoader.Load(path)).Message);
    }

    [Fact]
    public void MissingFileAndUnknownFormatAreReported()
    {
        var missing = _directory.File("absent.bin");
        Assert.Contains("no such file", Assert.Throws<ModelLoadException>(() => ModelLoader.Load(missing)).Message);

        var text = _directory.File("notes.txt");
        File.WriteAllText(text, "not a model");
        Assert.Contains("not a llama2.c checkpoint", Assert.Throws<ModelLoadException>(() => ModelLoader.Load(text)).Message);

        Assert.Contains("config.json", Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path)).Message);
    }

    [Fact]
    public void ExplicitTokenizerThatDoesNotExistIsAnError()
    {
        var path = _directory.File("model.bin");
        File.WriteAllBytes(path, Llama2cCheckpointWriter.Small().Fill(8).ToBytes());
        var tokenizer = _directory.File("missing.model");
        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(path, tokenizer));
        Assert.Equal(tokenizer, error.Path);
    }

    [RequiresSharedModelsFact]
    public void TokenizerBesideTheWeightsIsUsedAndMustFitTheVocabulary()
    {
        var path = _directory.File("model.bin");
        File.WriteAllBytes(path, Llama2cCheckpointWriter.Small().Fill(9).ToBytes());
        File.Copy(SharedModels.Stories260KTokenizer, _directory.File("tokenizer.model"));

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(path));

        Assert.Equal(_directory.File("tokenizer.model"), error.Path);
        Assert.Contains("512 tokens, the model only 32", error.Message);
    }

    private static float[] Layer(Llama2cCheckpointWriter source, string name, int layer)
    {
        var all = source.Array(name);
        var perLayer = all.Length / source.NumLayers;
        return all.AsSpan(layer * perLayer, perLayer).ToArray();
    }
}
