using GqaService.Inference.Engine;
using GqaService.Inference.Loading.Families;
using GqaService.Inference.Model;
using GqaService.Inference.Native;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Loading;

/// <summary>
/// The model served when none is configured: a small GQA decoder with seeded random weights and GPT-2's tokenizer.
/// It exercises every code path but its output is noise, and it says so in its id.
/// </summary>
public static class DefaultModel
{
    public const string Id = "gqa-demo-random-gpt2 (DEMO: random weights, output is noise)";
    public const ulong Seed = 20240607;

    public static ModelConfig Config { get; } = new ModelConfig
    {
        Dim = 256,
        NumLayers = 4,
        NumHeads = 8,
        NumKvHeads = 2,
        HiddenDim = 688,
        VocabSize = Gpt2TextTokenizer.EndOfText + 1,
        MaxContext = 1024,
        TiedEmbeddings = true,
        RopeLayout = RopeLayout.RotateHalf,
        // GPT-2 has no BOS; the config needs a valid id, and the tokenizer reports none so prompts never get one.
        BosTokenId = Gpt2TextTokenizer.EndOfText,
        EosTokenId = Gpt2TextTokenizer.EndOfText,
    }.Validate();

    public static LoadedModel Load(Func<ModelConfig, TorchSharp.torch.ScalarType>? linearDtype = null)
    {
        TorchNativeCompatibility.EnsureLoadable();
        using var random = new RandomTensorReader(Seed);
        var weights = ModelWeightsAssembler.Assemble(Config, ModelFamilies.Llama, random, "(built-in default model)", linearDtype: linearDtype);
        var description = new ModelDescription(Id, Config, IsDemo: true, HasTokenizer: true, weights.ParameterCount,
            Source: $"built-in, random weights from seed {Seed}")
        {
            TokenizerKind = "gpt2",
            ComputePrecision = weights.ComputePrecision,
        };
        return new LoadedModel(weights, Gpt2TextTokenizer.Instance, description);
    }
}
