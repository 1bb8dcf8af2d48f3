using GqaService.Inference.Engine;
using GqaService.Inference.Loading.Families;
using GqaService.Inference.Model;
using GqaService.Inference.Native;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Loading;

/// <summary>Finds out what a model path holds and loads it with its tokenizer.</summary>
public static class ModelLoader
{
    public const string TokenizerFileName = "tokenizer.model";
    public const string HuggingFaceConfigFileName = "config.json";

    /// <param name="modelPath">Null or empty: the built-in demo model. A directory with config.json: Hugging Face Llama or
    /// Mistral; a directory with exactly one <c>.bin</c>: that llama2.c checkpoint. A <c>.bin</c> file, or any file starting with a llama2.c header: a llama2.c checkpoint.</param>
    /// <param name="tokenizerPath">A SentencePiece <c>tokenizer.model</c>; by default the one beside the weights, if any.</param>
    /// <exception cref="ModelLoadException">The files are missing, malformed or inconsistent.</exception>
    public static LoadedModel Load(string? modelPath, string? tokenizerPath = null)
    {
        if (string.IsNullOrEmpty(modelPath))
        {
            if (!string.IsNullOrEmpty(tokenizerPath))
            {
                throw new ModelLoadException(tokenizerPath, "a tokenizer can only be given together with a model path.");
            }
            return DefaultModel.Load();
        }
        TorchNativeCompatibility.EnsureLoadable();
        var fullPath = Path.GetFullPath(modelPath);
        if (Directory.Exists(fullPath))
        {
            var config = Path.Combine(fullPath, HuggingFaceConfigFileName);
            if (File.Exists(config))
            {
                return LoadHuggingFace(fullPath, tokenizerPath);
            }
            // A mounted model folder holding one llama2.c checkpoint (and its tokenizer) is as good as the file itself.
            var checkpoints = Directory.GetFiles(fullPath, "*.bin").Where(Llama2cCheckpointLoader.LooksLikeCheckpoint).ToArray();
            if (checkpoints.Length != 1)
            {
                throw new ModelLoadException(fullPath,
                    $"directory has no {HuggingFaceConfigFileName} (a Hugging Face model) and {checkpoints.Length} llama2.c checkpoints (.bin) where exactly one is needed.");
            }
            fullPath = checkpoints[0];
        }
        else if (!File.Exists(fullPath))
        {
            throw new ModelLoadException(fullPath, "no such file or directory.");
        }
        if (fullPath.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) || Llama2cCheckpointLoader.LooksLikeCheckpoint(fullPath))
        {
            var checkpoint = Llama2cCheckpointLoader.Load(fullPath);
            return Complete(checkpoint, new FamilyConfig(ModelFamilies.Llama, checkpoint.Config, [checkpoint.Config.EosTokenId], []), "F32", fullPath, Path.GetFileNameWithoutExtension(fullPath),
                "llama2.c checkpoint", tokenizerPath, Beside(fullPath));
        }
        var name = Path.GetFileName(fullPath);
        if (name == HuggingFaceConfigFileName || name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            return LoadHuggingFace(Path.GetDirectoryName(fullPath)!, tokenizerPath);
        }
        throw new ModelLoadException(fullPath, "not a llama2.c checkpoint nor a Hugging Face model directory.");
    }

    private static LoadedModel LoadHuggingFace(string directory, string? tokenizerPath)
    {
        var facts = HuggingFaceConfig.Read(Path.Combine(directory, HuggingFaceConfigFileName));
        ModelWeights weights;
        string precision;
        using (var reader = HuggingFaceTensorReader.Open(directory))
        {
            weights = ModelWeightsAssembler.Assemble(facts.Config, facts.Family, reader, directory);
            precision = string.Join(", ", reader.DTypesRead);
        }
        return Complete(weights, facts, precision, directory, Path.GetFileName(directory), "Hugging Face directory",
            tokenizerPath, Path.Combine(directory, TokenizerFileName));
    }

    private static string Beside(string file) => Path.Combine(Path.GetDirectoryName(file)!, TokenizerFileName);

    /// <summary>Without a tokenizer the model still serves token-id prompts, so only an explicitly named one must exist.</summary>
    private static LoadedModel Complete(ModelWeights weights, FamilyConfig facts, string precision, string source, string id, string format,
        string? explicitTokenizer, string defaultTokenizer)
    {
        try
        {
            var tokenizer = explicitTokenizer is null && !File.Exists(defaultTokenizer)
                ? null
                : LoadTokenizer(explicitTokenizer ?? defaultTokenizer, weights.Config);
            var description = new ModelDescription(id, weights.Config, IsDemo: false, HasTokenizer: tokenizer is not null,
                weights.ParameterCount, $"{format} {source}")
            {
                Family = facts.Family.Name,
                TokenizerKind = tokenizer is null ? "none" : "sentencepiece",
                EosTokenIds = facts.EosTokenIds,
                WeightPrecision = precision,
                Notes = facts.Notes,
            };
            return new LoadedModel(weights, tokenizer, description);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private static SentencePieceTextTokenizer LoadTokenizer(string path, ModelConfig config)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException(path, "tokenizer file not found.");
        }
        SentencePieceTextTokenizer tokenizer;
        try
        {
            tokenizer = SentencePieceTextTokenizer.Load(path);
        }
        catch (Exception e) when (e is not ModelLoadException)
        {
            throw new ModelLoadException(path, $"not a SentencePiece model ({e.Message}).", e);
        }
        if (tokenizer.VocabSize > config.VocabSize)
        {
            throw new ModelLoadException(path, $"tokenizer has {tokenizer.VocabSize} tokens, the model only {config.VocabSize}.");
        }
        return tokenizer;
    }
}
