using GqaService.Api.Generation;
using GqaService.Api.Hosting;
using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;
using GqaService.Inference.Tokenization;

namespace GqaService.Api.Observability;

/// <summary>
/// What the service is serving, in one place: the block logged once at start. Built only from what the engine publishes
/// (its <see cref="ModelDescription"/>, tokenizer and memory snapshot) and the validated options, so a new fact about the
/// model is one property here and one line in <see cref="StartupSummaryLog"/>. Never holds an API key, only whether keys are on.
/// </summary>
public sealed record StartupSummary
{
    public required string ModelId { get; init; }
    public required string ModelSource { get; init; }
    public required bool IsDemo { get; init; }
    public required string Family { get; init; }
    public required string Architecture { get; init; }
    public required long Parameters { get; init; }
    public required string Precision { get; init; }
    public required string TokenizerKind { get; init; }
    public required string TokenizerSource { get; init; }
    public required string ChatTemplateSource { get; init; }
    public required IReadOnlyList<int> EosTokenIds { get; init; }
    public required int Context { get; init; }
    public required int ModelContext { get; init; }
    public required int KvBlocks { get; init; }
    public required int KvBlockSize { get; init; }
    public required long KvTokens { get; init; }
    public required long KvBytes { get; init; }
    public required string KvDtype { get; init; }
    public required long KvMhaEquivalentTokens { get; init; }
    public required int TorchThreads { get; init; }
    public required bool ApiKeysEnabled { get; init; }
    public required int RateLimitPermitsPerMinute { get; init; }
    public required IReadOnlyList<string> Urls { get; init; }
    /// <summary>Where the model's context comes from: its files, or Inference:GgufContextLength overriding a GGUF file's.</summary>
    public required string ContextSource { get; init; }
    /// <summary>The load's notes (a capped context, a template that fell back, ...), "none" when there are none.</summary>
    public required string Notes { get; init; }

    public static StartupSummary Create(IInferenceEngine engine, IChatTemplate chatTemplate, EngineOptions engineOptions, ApiOptions apiOptions,
        IReadOnlyList<string> urls)
    {
        var model = engine.Model;
        var config = model.Config;
        var memory = engine.GetMemorySnapshot();
        return new StartupSummary
        {
            ModelId = model.Id,
            ModelSource = model.Source,
            IsDemo = model.IsDemo,
            Family = model.Family,
            Architecture = $"{config.NumLayers} layers, dim {config.Dim}, {config.NumHeads} query heads / {config.NumKvHeads} KV heads{(model.RegroupedFromKvHeads is { } from ? $" (regrouped from {from} by mean pooling)" : "")}, vocabulary {config.VocabSize}",
            Parameters = model.ParameterCount,
            Precision = model.ComputePrecision,
            TokenizerKind = model.TokenizerKind,
            TokenizerSource = engine.Tokenizer is null ? "none" : model.IsDemo ? "built-in"
                : engineOptions.TokenizerPath ?? $"beside the weights ({Inference.Loading.ModelLoader.TokenizerFileName})",
            ChatTemplateSource = model.ChatTemplateOrigin ?? "plain",
            EosTokenIds = [.. model.EosTokenIds],
            Context = engine.Limits.ContextTokens, // the engine's limits own the served context
            ModelContext = config.MaxContext,
            KvBlocks = memory.BlocksTotal,
            KvBlockSize = memory.BlockSize,
            KvTokens = (long)memory.BlocksTotal * memory.BlockSize,
            KvBytes = memory.BytesTotal,
            KvDtype = memory.KvDtype,
            KvMhaEquivalentTokens = memory.MhaKvBytesPerToken > 0 ? memory.BytesTotal / memory.MhaKvBytesPerToken : 0,
            TorchThreads = InferenceEngine.IntraOpThreads(engineOptions, config),
            ApiKeysEnabled = apiOptions.ApiKeys.Length > 0,
            RateLimitPermitsPerMinute = apiOptions.RateLimit.PermitsPerMinute,
            Urls = urls,
            ContextSource = engineOptions.GgufContextLength > 0 ? "Inference:GgufContextLength" : "the model's files",
            Notes = model.Notes.Count == 0 ? "none" : string.Join(" | ", model.Notes),
        };
    }
}
