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

    public static ModelWeights Weights(ModelConfig c, long seed)
    {
        using var generator = new Generator((ulong)seed);
        Tensor R(params long[] shape) => randn(shape, generator: generator).mul_(0.3);
        Tensor Norm() => randn([c.Dim], generator: generator).mul_(0.1).add_(1.0);
        var layers = Enumerable.Range(0, c.NumLayers).Select(_ => new LayerWeights(
            Norm(), R(c.QueryWidth, c.Dim), R(c.KvWidth, c.Dim), R(c.KvWidth, c.Dim), R(c.Dim, c.QueryWidth),
            Norm(), R(c.HiddenDim, c.Dim), R(c.Dim, c.HiddenDim), R(c.HiddenDim, c.Dim))).ToList();
        return new ModelWeights(c, R(c.VocabSize, c.Dim), layers, Norm(), c.TiedEmbeddings ? null : R(c.VocabSize, c.Dim));
    }

    public static int[] Tokens(Random random, int count, int vocab) => Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();
}
