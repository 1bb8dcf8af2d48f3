using GqaService.Inference.Kernels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Model;

/// <summary>
/// The decoder with its matmuls in the native linear kernel against the same decoder in libtorch only: the same random
/// model's logits over a prefill and decode steps, with and without q/k/v biases, in f32 and bf16 weights; and
/// llama2.c's own greedy continuations of stories260K, which must stay exact in f32.
/// Tolerances, relative to the largest logit: f32 differs only in the order of float32 sums (measured below 1e-6;
/// bound 1e-5). bf16: both paths narrow the activations to bf16, but libtorch also rounds every matmul result to bf16
/// (2^-9 relative) where the kernel keeps float32, a difference that compounds over the layers (measured 0.8-0.9%;
/// bound 4%).
/// </summary>
public sealed class NativeLinearDecoderTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(FamilyCheckpoint.Configs.TinyLlama, ScalarType.Float32, 1e-5)]
    [InlineData(FamilyCheckpoint.Configs.Qwen25, ScalarType.Float32, 1e-5)]
    [InlineData(FamilyCheckpoint.Configs.TinyLlama, ScalarType.BFloat16, 0.04)]
    [InlineData(FamilyCheckpoint.Configs.Qwen25, ScalarType.BFloat16, 0.04)]
    public void Logits_WithNativeLinear_AgreeWithLibtorch(string family, ScalarType weightDtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var checkpoint = FamilyCheckpoint.Create(family, seed: 23);
        checkpoint.WriteTo(_directory.Path);
        using var model = ModelLoader.Load(_directory.Path, linearDtype: _ => weightDtype);
        Assert.True(NativeLinearPolicy.MaxRows(TestKernels.Instance.LinearPath(weightDtype), weightDtype) > 0, "this host has no vector linear path");
        var tokens = RandomModels.Tokens(new Random(29), 21, checkpoint.Vocab);

        var native = PrefillThenDecode(new TransformerDecoder(model.Weights, TestKernels.Instance), tokens, prefill: 13);
        var libtorch = PrefillThenDecode(new TransformerDecoder(model.Weights), tokens, prefill: 13);

        var difference = (native - libtorch).abs().max().item<double>();
        var scale = libtorch.abs().max().item<double>();
        output.WriteLine($"{weightDtype}, bias {checkpoint.QkvBias}: max |logit difference| {difference:E3} of logits up to {scale:E3} ({difference / scale:E2})");
        Assert.True(difference > 0, "logits identical to libtorch's: the native kernel did not run");
        Assert.True(difference <= tolerance * scale, $"max |logit difference| {difference:E3} exceeds {tolerance} x {scale:E3}");
    }

    [RequiresSharedModelsFact]
    public void Stories260K_F32_GreedyIdsWithNativeLinear_AreLlama2cs()
    {
        using var model = ModelLoader.Load(SharedModels.Stories260KBin);
        Assert.Equal(NativeLinearPath.Avx512Fma, TestKernels.Instance.LinearPath(ScalarType.Float32));
        foreach (var expected in ExpectedGreedyCase.Load())
        {
            Assert.Equal(expected.ExpectedIds, GreedyDecoding.Run(model.Weights, expected.PromptIds, expected.MaxNewTokens, TestKernels.Instance));
        }
    }

    /// <summary>Logits of every token: the first <paramref name="prefill"/> in one step, then one decode step per token.</summary>
    private static Tensor PrefillThenDecode(TransformerDecoder decoder, int[] tokens, int prefill)
    {
        using var pool = new KvPool(decoder.Config, totalBlocks: 4, blockSize: 16);
        var slots = Enumerable.Range(0, tokens.Length).ToArray();
        var logits = new List<Tensor>
        {
            decoder.Forward(DecoderInput.From(ForwardBatch.Create([(tokens[..prefill], slots[..prefill])], logitsForAllTokens: true)), pool),
        };
        for (var t = prefill; t < tokens.Length; t++)
        {
            logits.Add(decoder.Forward(DecoderInput.From(ForwardBatch.Create([(new[] { tokens[t] }, slots[..(t + 1)])])), pool));
        }
        return cat(logits, 0).to_type(ScalarType.Float64);
    }
}
