using GqaService.Inference.Kernels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Support;

/// <summary>Greedy continuation straight on the decoder and a private KV pool (no engine), for comparing with reference ids.</summary>
internal static class GreedyDecoding
{
    /// <param name="kernels">The native kernels for the decoder (Q8_0 weights need them); null runs libtorch only.</param>
    public static int[] Run(ModelWeights weights, IReadOnlyList<int> prompt, int count, NativeKernels? kernels = null)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var decoder = new TransformerDecoder(weights, kernels);
        using var pool = new KvPool(weights.Config, totalBlocks: 32, blockSize: 16);
        var tokens = prompt.ToList();
        var generated = new List<int>();
        var fed = 0;
        while (generated.Count < count)
        {
            using var step = NewDisposeScope();
            var logits = decoder.Forward(DecoderInput.From(ForwardBatch.Create([(tokens.Skip(fed).ToArray(), Enumerable.Range(0, tokens.Count).ToArray())])), pool);
            fed = tokens.Count;
            var next = (int)logits[0].argmax().item<long>();
            generated.Add(next);
            tokens.Add(next);
        }
        return generated.ToArray();
    }
}
