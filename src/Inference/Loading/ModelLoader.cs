using GqaService.Inference.Engine;
using GqaService.Inference.Loading.Families;
using GqaService.Inference.Loading.Gguf;
using GqaService.Inference.Model;
using GqaService.Inference.Native;
using GqaService.Inference.Templating;
using GqaService.Inference.Tokenization;
using static TorchSharp.torch;

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
    /// <param name="contextLength">Serve this context instead of the one the files state (GGUF only; llama.cpp's llama2.c
    /// converter writes 128 for models trained with 512).</param>
    /// <param name="progress">Told after every tensor read (the engine logs it for loads that take a while).</param>
    /// <param name="linearDtype">Given the model's config before its tensors are read, names the dtype linear weights are kept
    /// in (<see cref="Precision.WeightDtypeChooser"/>); null keeps float32.</param>
    public static LoadedModel Load(string? modelPath, string? tokenizerPath = null, int? contextLength = null, IProgress<WeightLoadProgress>? progress = null,
        Func<ModelConfig, ScalarType>? linearDtype = null)
    {
        if (string.IsNullOrEmpty(modelPath))
        {
            if (!string.IsNullOrEmpty(tokenizerPath))
            {
                throw new ModelLoadException(tokenizerPath, "a tokenizer can only be given together with a model path.");
            }
            return DefaultModel.Load(linearDtype);
        }
        TorchNativeCompatibility.EnsureLoadable();
        var fullPath = Path.GetFullPath(modelPath);
        if (contextLength is not null && !fullPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelLoadException(fullPath, "a context length override (Inference:GgufContextLength) applies to GGUF files only; the other formats state their context correctly.");
        }
        if (Directory.Exists(fullPath))
        {
            var config = Path.Combine(fullPath, HuggingFaceConfigFileName);
            if (File.Exists(config))
            {
                return LoadHuggingFace(fullPath, tokenizerPath, progress, linearDtype);
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
            var checkpoint = Llama2cCheckpointLoader.Load(fullPath, progress, linearDtype);
            try
            {
                var text = SentencePieceOnly(tokenizerPath, Beside(fullPath), checkpoint.Config);
                return Complete(checkpoint, new FamilyConfig(ModelFamilies.Llama, checkpoint.Config, [checkpoint.Config.EosTokenId], []), text, "F32",
                    $"llama2.c checkpoint {fullPath}", Path.GetFileNameWithoutExtension(fullPath));
            }
            catch
            {
                checkpoint.Dispose();
                throw;
            }
        }
        if (fullPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            return LoadGguf(fullPath, tokenizerPath, contextLength, progress, linearDtype);
        }
        var name = Path.GetFileName(fullPath);
        if (name == HuggingFaceConfigFileName || name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            return LoadHuggingFace(Path.GetDirectoryName(fullPath)!, tokenizerPath, progress, linearDtype);
        }
        throw new ModelLoadException(fullPath, "not a llama2.c checkpoint nor a Hugging Face model directory.");
    }

    private static LoadedModel LoadHuggingFace(string directory, string? tokenizerPath, IProgress<WeightLoadProgress>? progress,
        Func<ModelConfig, ScalarType>? linearDtype)
    {
        var facts = HuggingFaceConfig.Read(Path.Combine(directory, HuggingFaceConfigFileName));
        // Tokenizer files first: they are small, and a bad one should fail before gigabytes of weights are read.
        var text = HuggingFaceTokenizerLoader.Load(directory, tokenizerPath, facts.Config.VocabSize);
        var generation = GenerationConfigReader.Read(directory);
        ModelWeights weights;
        string precision;
        using (var reader = HuggingFaceTensorReader.Open(directory))
        {
            weights = ModelWeightsAssembler.Assemble(facts.Config, facts.Family, reader, directory, progress, linearDtype);
            precision = string.Join(", ", reader.DTypesRead);
        }
        return Complete(weights, facts, text, precision, $"Hugging Face directory {directory}", Path.GetFileName(directory), generation);
    }

    private static LoadedModel LoadGguf(string path, string? tokenizerPath, int? contextLength, IProgress<WeightLoadProgress>? progress,
        Func<ModelConfig, ScalarType>? linearDtype)
    {
        if (tokenizerPath is not null)
        {
            throw new ModelLoadException(tokenizerPath, "a GGUF file carries its own vocabulary; a separate tokenizer is not taken.");
        }
        using var file = GgufFile.Open(path);
        var facts = GgufModelConfig.Read(file, contextLength);
        // The vocabulary is in the metadata already parsed: a bad one fails before any tensor is read.
        var text = GgufTokenizerReader.Read(file, facts.Config.VocabSize);
        var reader = new GgufTensorReader(file);
        var weights = ModelWeightsAssembler.Assemble(facts.Config, facts.Family, reader, path, progress, linearDtype);
        return Complete(weights, facts, text, string.Join(", ", reader.TypesRead), $"GGUF v{file.Version} {path}", Path.GetFileNameWithoutExtension(path));
    }

    private static string Beside(string file) => Path.Combine(Path.GetDirectoryName(file)!, TokenizerFileName);

    /// <summary>Without a tokenizer the model still serves token-id prompts, so only an explicitly named one must exist.</summary>
    private static TokenizerFiles SentencePieceOnly(string? explicitTokenizer, string defaultTokenizer, ModelConfig config)
    {
        var tokenizer = explicitTokenizer is null && !File.Exists(defaultTokenizer)
            ? null
            : LoadTokenizer(explicitTokenizer ?? defaultTokenizer, config);
        return new TokenizerFiles(tokenizer, tokenizer is null ? "none" : "sentencepiece", null, null, [], []);
    }

    private static LoadedModel Complete(ModelWeights weights, FamilyConfig facts, TokenizerFiles text, string precision, string source, string id,
        GenerationDefaults? generation = null)
    {
        var (template, templateNote) = ParseChatTemplate(text, source);
        var description = new ModelDescription(id, weights.Config, IsDemo: false, HasTokenizer: text.Tokenizer is not null,
            weights.ParameterCount, source)
        {
            Family = facts.Family.Name,
            TokenizerKind = text.Kind,
            EosTokenIds = facts.EosTokenIds.Concat(text.ExtraEosTokenIds).Distinct().ToList(),
            ChatTemplate = template,
            ChatTemplateOrigin = template is null ? null : text.ChatTemplateOrigin,
            BosToken = text.BosToken,
            EosToken = text.EosToken,
            WeightPrecision = precision,
            GenerationDefaults = generation ?? GenerationDefaults.None,
            ComputePrecision = weights.ComputePrecision,
            Notes = [.. facts.Notes, .. text.Notes, .. templateNote is null ? Array.Empty<string>() : [templateNote]],
        };
        return new LoadedModel(weights, text.Tokenizer, description);
    }

    /// <summary>
    /// Parses the model's chat template once, at load: a template the interpreter cannot run is reported here (construct and
    /// line) and the model is served with the plain template instead of failing its first chat request.
    /// </summary>
    private static (ChatTemplate? Template, string? Note) ParseChatTemplate(TokenizerFiles text, string source)
    {
        if (text.ChatTemplate is not { } templateSource)
        {
            return (null, null);
        }
        try
        {
            return (Templating.ChatTemplate.Parse(templateSource), null);
        }
        catch (TemplateException refused)
        {
            return (null, $"the chat template from {text.ChatTemplateOrigin} of {source} cannot be run ({refused.Construct} at line {refused.Line}: {refused.Message}); chat uses the plain template.");
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
