using System.Text.Json;
using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;
using GqaService.Inference.Loading;
using GqaService.Inference.Loading.Gguf;
using GqaService.Inference.Model;
using GqaService.Inference.Precision;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Precision;

/// <summary>
/// Whole models served as Q8_0 (Inference:WeightDtype = q8_0): which matrices become Q8_0 and what they weigh, how far the
/// logits move from float32, llama.cpp's own Q8_0 GGUF served with its very blocks, and the float32 fallback without the
/// native kernels.
/// </summary>
[Collection(NativeKernelsCollection.Name)]
public sealed class Q8_0ModelTests(ITestOutputHelper output)
{
    private static string GgufFile(string name) => Path.Combine(SharedModels.Directory, "stories260K-gguf", name);

    private static ScalarType AsQ8_0(ModelConfig config) => WeightDtypeChoice.Q8_0Dtype;

    [RequiresSharedModelsFact]
    public void Stories260K_QuantisesEveryMatrixWhoseRowsAllowIt()
    {
        using var model = ModelLoader.Load(SharedModels.Stories260KBin, linearDtype: AsQ8_0);
        var weights = model.Weights;
        var config = weights.Config;

        Assert.Equal("q8_0", model.Description.ComputePrecision);
        Assert.True(weights.HasQ8_0);
        foreach (var layer in weights.Layers)
        {
            Assert.Equal(ScalarType.Int8, layer.QkvProjection.dtype);
            Assert.Equal(ScalarType.Int8, layer.OutputProjection.dtype);
            Assert.Equal(ScalarType.Int8, layer.GateUpProjection.dtype);
            // hidden 172 is no multiple of 32: the down projection stays float32, as llama-quantize keeps ffn_down unquantised.
            Assert.Null(layer.DownScales);
            Assert.Equal(ScalarType.Float32, layer.DownProjection.dtype);
        }
        // The embedding is read by row and stays float32; the tied classifier is a Q8_0 copy of it.
        Assert.Equal(ScalarType.Float32, weights.TokenEmbedding.dtype);
        Assert.NotNull(weights.ClassifierScales);
        long d = config.Dim, q = config.QueryWidth, kv = config.KvWidth, f = config.HiddenDim, v = config.VocabSize;
        static long Q8(long rows, long columns) => rows * columns + rows * columns / 32 * 2;
        var expectedBytes = v * d * 4 + d * 4 + Q8(v, d)
            + config.NumLayers * (2 * d * 4 + Q8(q + 2 * kv, d) + Q8(d, q) + Q8(2 * f, d) + d * f * 4);
        Assert.Equal(expectedBytes, weights.Bytes);
        using var f32 = ModelLoader.Load(SharedModels.Stories260KBin);
        Assert.Equal(f32.Weights.ParameterCount, weights.ParameterCount);
    }

    [RequiresSharedModelsFact]
    public void Stories260K_LogitsStayCloseToFloat32()
    {
        using var q8 = ModelLoader.Load(SharedModels.Stories260KBin, linearDtype: AsQ8_0);
        using var f32 = ModelLoader.Load(SharedModels.Stories260KBin);
        var prompt = ExpectedGreedyCase.Load()[0].ExpectedIds.Take(48).Prepend(1).ToArray();

        var quantised = Logits(q8.Weights, prompt);
        var reference = Logits(f32.Weights, prompt);

        double worst = 0, spread = 0;
        var agree = 0;
        for (var row = 0; row < prompt.Length; row++)
        {
            var a = quantised[row];
            var b = reference[row];
            worst = Math.Max(worst, a.Zip(b, (x, y) => Math.Abs(x - y)).Max());
            spread = Math.Max(spread, b.Max() - b.Min());
            agree += Array.IndexOf(a, a.Max()) == Array.IndexOf(b, b.Max()) ? 1 : 0;
        }
        output.WriteLine($"max |logit q8_0 - logit f32| = {worst:G4} over {prompt.Length} positions (logit range up to {spread:G4}); argmax agrees at {agree}/{prompt.Length}");
        // Measured 0.34 on these 49 positions (logits span up to 34, so 1%), argmax everywhere the same: bounded at 0.5.
        Assert.True(worst <= 0.5, $"q8_0 logits differ from float32 by up to {worst:G4}");
        Assert.True(agree >= prompt.Length - 2, $"argmax agrees at only {agree}/{prompt.Length} positions");
    }

    [RequiresSharedModelsFact]
    public void LlamaCppQ8_0File_IsServedWithItsOwnBlocks()
    {
        using var model = ModelLoader.Load(GgufFile("stories260K-q8_0.gguf"), contextLength: 512, linearDtype: AsQ8_0);
        using var file = Inference.Loading.Gguf.GgufFile.Open(GgufFile("stories260K-q8_0.gguf"));
        var config = model.Weights.Config;
        long q = config.QueryWidth, kv = config.KvWidth, f = config.HiddenDim;

        Assert.Equal("q8_0", model.Description.ComputePrecision);
        Assert.Equal("F16, F32, Q8_0", model.Description.WeightPrecision);
        for (var i = 0; i < config.NumLayers; i++)
        {
            var layer = model.Weights.Layers[i];
            AssertBlocks(file, $"blk.{i}.attn_q.weight", layer.QkvQ8_0!.Value, 0, q);
            AssertBlocks(file, $"blk.{i}.attn_k.weight", layer.QkvQ8_0!.Value, q, kv);
            AssertBlocks(file, $"blk.{i}.attn_v.weight", layer.QkvQ8_0!.Value, q + kv, kv);
            AssertBlocks(file, $"blk.{i}.attn_output.weight", layer.OutputQ8_0!.Value, 0, config.Dim);
            AssertBlocks(file, $"blk.{i}.ffn_gate.weight", layer.GateUpQ8_0!.Value, 0, f);
            AssertBlocks(file, $"blk.{i}.ffn_up.weight", layer.GateUpQ8_0!.Value, f, f);
        }
        // llama.cpp multiplies the tied output by token_embd's Q8_0 blocks: so does this engine.
        AssertBlocks(file, "token_embd.weight", model.Weights.ClassifierQ8_0!.Value, 0, config.VocabSize);
    }

    [RequiresSharedModelsFact]
    public void LlamaCppQ8_0File_GreedyIdsAgainstLlamaServer()
    {
        using var model = ModelLoader.Load(GgufFile("stories260K-q8_0.gguf"), contextLength: 512, linearDtype: AsQ8_0);
        using var json = JsonDocument.Parse(File.ReadAllText(GgufFile("llama-cpp-greedy.json")));
        var cases = json.RootElement.GetProperty("files").GetProperty("stories260K-q8_0.gguf").GetProperty("cases");
        var expectedCases = ExpectedGreedyCase.Load();
        var index = 0;
        var commonPrefixes = new List<int>();
        foreach (var llamaCase in cases.EnumerateArray())
        {
            var prompt = llamaCase.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var llamaIds = llamaCase.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var ids = GreedyDecoding.Run(model.Weights, prompt, llamaIds.Length, TestKernels.Instance);
            var common = ids.Zip(llamaIds).TakeWhile(p => p.First == p.Second).Count();
            var withF32 = ids.Zip(expectedCases[index].ExpectedIds).TakeWhile(p => p.First == p.Second).Count();
            output.WriteLine($"case {index}: {common}/{llamaIds.Length} ids in common with llama-server's q8_0 run, {withF32} with llama2.c's f32 run");
            commonPrefixes.Add(common);
            index++;
        }
        // Measured (AVX-512 VNNI host): the story from BOS is llama-server's q8_0 story for all 200 ids, past id 114 where
        // both part from the float32 story, and the 5-token prompt's continuation matches too. The longer prompts part from
        // llama-server after 11, 8 and 5 ids, where llama-server's own q8_0 run also leaves the float32 story (after 11, 8
        // and 1; this engine keeps it for 80/80 and 50/50): llama.cpp's prompt pass differs (float16 K/V cache, float16
        // activations for the float16 ffn_down), not its Q8_0 dot, which is what this engine reproduces.
        Assert.True(commonPrefixes[0] > 114, $"the 200-token story shares only {commonPrefixes[0]} ids with llama-server's q8_0 run");
        Assert.True(commonPrefixes[1] == 60, $"the short continuation shares only {commonPrefixes[1]}/60 ids with llama-server's q8_0 run");
    }

    [Fact]
    public void Decoder_RefusesQ8_0WeightsWithoutTheKernels()
    {
        using var model = DefaultModel.Load(AsQ8_0);
        Assert.Equal("q8_0", model.Description.ComputePrecision);
        Assert.Throws<ArgumentException>(() => new TransformerDecoder(model.Weights));
    }

    [Fact]
    public void KvHeadRegrouping_RefusesQ8_0Weights()
    {
        // The demo model has 2 K/V heads: pooling them into 1 is what Inference:KvHeads = 1 asks for.
        var model = DefaultModel.Load(AsQ8_0);
        Assert.Equal(2, model.Weights.Config.NumKvHeads);
        Assert.Throws<ModelLoadException>(() => KvHeadRegrouping.Apply(model, 1));
    }

    [RequiresSharedModelsFact]
    public async Task Engine_ServesQ8_0WithTheKernels_AndFloat32WithoutThem()
    {
        var first = ExpectedGreedyCase.Load()[1];
        await using (var harness = await EngineHarness.StartAsync(SharedModels.Stories260KBin, output, o => o.WeightDtype = "q8_0"))
        {
            Assert.Equal("q8_0", harness.Engine.Model.ComputePrecision);
            var result = await harness.RunAsync(EngineHarness.Greedy(first.PromptIds, first.MaxNewTokens));
            using var model = ModelLoader.Load(SharedModels.Stories260KBin, linearDtype: AsQ8_0);
            Assert.Equal(GreedyDecoding.Run(model.Weights, first.PromptIds, first.MaxNewTokens, TestKernels.Instance), result.TokenIds);
        }
        await using (var harness = await EngineHarness.StartAsync(SharedModels.Stories260KBin, output, o => (o.WeightDtype, o.NativeKernels) = ("q8_0", false)))
        {
            // Without the kernel library Q8_0 cannot be multiplied: the weights are float32 and llama2.c's output is exact.
            Assert.Equal("float32", harness.Engine.Model.ComputePrecision);
            var result = await harness.RunAsync(EngineHarness.Greedy(first.PromptIds, first.MaxNewTokens));
            Assert.Equal(first.ExpectedIds, result.TokenIds);
        }
    }

    private static float[][] Logits(ModelWeights weights, int[] prompt)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var decoder = new TransformerDecoder(weights, TestKernels.Instance);
        using var pool = new KvPool(weights.Config, totalBlocks: 8, blockSize: 16);
        var batch = ForwardBatch.Create([(prompt, Enumerable.Range(0, prompt.Length).ToArray())], logitsForAllTokens: true);
        var logits = decoder.Forward(DecoderInput.From(batch), pool);
        return Enumerable.Range(0, prompt.Length).Select(row => logits[row].data<float>().ToArray()).ToArray();
    }

    /// <summary>Rows [first, first + count) of a loaded Q8_0 matrix hold exactly the file's blocks of that tensor.</summary>
    private static void AssertBlocks(Inference.Loading.Gguf.GgufFile file, string name, Q8_0Weight weight, long first, long count)
    {
        var info = file.Tensors[name];
        Assert.Equal(GgmlType.Q8_0, info.Type);
        var raw = file.RawBytes(info);
        using var quants = weight.Quants.narrow(0, first, count);
        using var scales = weight.Scales.narrow(0, first, count);
        var q = quants.contiguous().data<sbyte>().ToArray();
        var d = scales.contiguous().data<Half>().ToArray();
        Assert.Equal(raw.Length / 34, d.Length);
        for (var b = 0; b < d.Length; b++)
        {
            Assert.Equal(BitConverter.UInt16BitsToHalf((ushort)(raw[b * 34] | raw[b * 34 + 1] << 8)), d[b]);
            for (var c = 0; c < 32; c++)
            {
                if ((sbyte)raw[b * 34 + 2 + c] != q[b * 32 + c])
                {
                    Assert.Fail($"{name}: block {b} quant {c} is {q[b * 32 + c]}, the file has {(sbyte)raw[b * 34 + 2 + c]}");
                }
            }
        }
    }
}
