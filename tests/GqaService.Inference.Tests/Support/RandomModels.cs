using GqaService.Inference.Model;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Support;

/// <summary>Random-weight decoders for numerical tests (fresh inputs, never zeros).</summary>
internal static class RandomModels
{
    public static ModelConfig Config(int heads, int kvHeads, RopeLayout layout = RopeLayout.Interleaved, int headDim = 8, int layers = 2) => new ModelConfig
    {
        Dim = heads * headDim,
        NumLayers = layers,
        NumHeads = heads,
        NumKvHeads = kvHeads,
        HiddenDim = heads * headDim * 2 + 4,
        VocabSize = 97,
        MaxContext = 128,
        RopeLayout = layout,
    }.Validate();

    /// <param name="linearDtype">The dtype of the embedding and every matrix (norms stay float32).</param>
    /// <param name="quantize">Projections whose rows are a multiple of 32 long are held as Q8_0 (<see cref="LayerWeights"/>).</param>
    /// <param name="scale">The matrices' standard deviation. 0.3 amplifies a model of dim 512 about sevenfold per matmul;
    /// about 1 / sqrt(dim) keeps activations at one scale through the layers.</param>
    public static ModelWeights Weights(ModelConfig c, long seed, ScalarType linearDtype = ScalarType.Float32, bool quantize = false, double scale = 0.3)
    {
        using var generator = new Generator((ulong)seed);
        using TorchSharp.Scalar std = scale; // held and disposed, not a temporary per call
        Tensor R(params long[] shape) => randn(shape, generator: generator).mul_(std).to_type(linearDtype);
        Tensor Norm() => randn([c.Dim], generator: generator).mul_(0.1).add_(1.0);
        var layers = Enumerable.Range(0, c.NumLayers).Select(_ => new LayerWeights(
            Norm(), R(c.QueryWidth, c.Dim), R(c.KvWidth, c.Dim), R(c.KvWidth, c.Dim), R(c.Dim, c.QueryWidth),
            Norm(), R(c.HiddenDim, c.Dim), R(c.Dim, c.HiddenDim), R(c.HiddenDim, c.Dim), quantize: quantize)).ToList();
        return new ModelWeights(c, R(c.VocabSize, c.Dim), layers, Norm(), c.TiedEmbeddings ? null : R(c.VocabSize, c.Dim));
    }

    public static int[] Tokens(Random random, int count, int vocab) => Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();
}
