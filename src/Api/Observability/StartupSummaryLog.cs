namespace GqaService.Api.Observability;

/// <summary>The start-up block: one structured event, every value a property (JSON logs carry each one by name).</summary>
internal static partial class StartupSummaryLog
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message =
        "Serving {ModelId} (demo: {IsDemo})\n" +
        "  model       {ModelSource}\n" +
        "  family      {Family}: {Architecture}; {Parameters:N0} parameters, computed in {Precision}\n" +
        "  tokenizer   {TokenizerKind}, from {TokenizerSource}; chat template {ChatTemplateSource}; EOS ids {EosTokenIds}\n" +
        "  context     {Context} tokens (model {ModelContext} from {ContextSource}; Inference:MaxContext caps it)\n" +
        "  KV pool     {KvBlocks} blocks x {KvBlockSize} = {KvTokens} tokens of {KvDtype}, {KvBytes:N0} bytes; the same bytes hold {KvMhaEquivalentTokens} tokens under MHA\n" +
        "  threads     {TorchThreads} libtorch intra-op\n" +
        "  API keys    {ApiKeys}; rate limit {RateLimit}\n" +
        "  listening   {Urls}\n" +
        "  observatory {ObservatoryUrls} (block map, events, GQA saving, chat)\n" +
        "  notes       {Notes}")]
    private static partial void Summary(ILogger logger, string modelId, bool isDemo, string modelSource, string family, string architecture,
        long parameters, string precision, string tokenizerKind, string tokenizerSource, string chatTemplateSource, IReadOnlyList<int> eosTokenIds,
        int context, int modelContext, int kvBlocks, int kvBlockSize, long kvTokens, string kvDtype, long kvBytes, long kvMhaEquivalentTokens, int torchThreads,
        string apiKeys, string rateLimit, IReadOnlyList<string> urls, IReadOnlyList<string> observatoryUrls, string contextSource, string notes);

    public static void Write(ILogger logger, StartupSummary s) => Summary(logger, s.ModelId, s.IsDemo, s.ModelSource, s.Family, s.Architecture,
        s.Parameters, s.Precision, s.TokenizerKind, s.TokenizerSource, s.ChatTemplateSource, s.EosTokenIds, s.Context, s.ModelContext,
        s.KvBlocks, s.KvBlockSize, s.KvTokens, s.KvDtype, s.KvBytes, s.KvMhaEquivalentTokens, s.TorchThreads,
        s.ApiKeysEnabled ? "on" : "off", s.RateLimitPermitsPerMinute > 0 ? $"{s.RateLimitPermitsPerMinute}/min per key or IP" : "off", s.Urls,
        [.. s.Urls.Select(url => url.TrimEnd('/') + "/ui")], s.ContextSource, s.Notes);
}
