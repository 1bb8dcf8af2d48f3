using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;

namespace GqaService.Api.Contracts;

/// <summary>Inference types to wire DTOs (the only place that knows both).</summary>
internal static class ContractMapping
{
    public static Usage ToUsage(this GenerationUsage usage) => new()
    {
        PromptTokens = usage.PromptTokens,
        CompletionTokens = usage.CompletionTokens,
        TotalTokens = usage.PromptTokens + usage.CompletionTokens,
        PromptTokensDetails = new PromptTokensDetails { CachedTokens = usage.CachedPromptTokens },
        Kv = new KvReceipt
        {
            BlocksAllocated = usage.KvBlocksAllocated,
            SharedBlocks = usage.ForkedBlocks,
            PeakKvBytes = usage.PeakKvBytes,
            Preemptions = usage.Preemptions,
            RecomputedTokens = usage.RecomputedTokens,
            CachedTokens = usage.CachedPromptTokens,
        },
    };

    public static string ToWire(this FinishReason reason) => reason == FinishReason.Stop ? "stop" : "length";

    public static SessionDto ToDto(this SessionInfo session) => new()
    {
        Id = session.SessionId,
        Tokens = session.Tokens,
        Blocks = session.Blocks,
        Bytes = session.Bytes,
        LastUsed = session.LastUsed,
        Active = session.Active,
    };

    public static MemoryReport ToReport(this MemorySnapshot snapshot)
    {
        var slotsInUse = (long)snapshot.BlocksUsed * snapshot.BlockSize;
        return new MemoryReport
        {
            BlockSize = snapshot.BlockSize,
            BlocksTotal = snapshot.BlocksTotal,
            BlocksUsed = snapshot.BlocksUsed,
            BlocksFree = snapshot.BlocksFree,
            BlocksCachedFree = snapshot.BlocksCachedFree,
            PrefixCaching = snapshot.PrefixCaching,
            BytesPerBlock = snapshot.BytesPerBlock,
            BytesTotal = snapshot.BytesTotal,
            BytesUsed = snapshot.BytesUsed,
            TokensCached = snapshot.TokensCached,
            FragmentedSlots = snapshot.FragmentedSlots,
            FragmentationRatio = slotsInUse == 0 ? 0 : (double)snapshot.FragmentedSlots / slotsInUse,
            SharedBlocks = snapshot.SharedBlocks,
            KvBytesPerToken = snapshot.KvBytesPerToken,
            KvDtype = snapshot.KvDtype,
            MhaKvBytesPerToken = snapshot.MhaKvBytesPerToken,
            GqaSavedBytes = snapshot.GqaSavedBytes,
            RunningSequences = snapshot.RunningSequences,
            WaitingRequests = snapshot.WaitingRequests,
            Sessions = snapshot.Sessions.Select(s => s.ToDto()).ToList(),
            ProcessWorkingSetBytes = snapshot.ProcessWorkingSetBytes,
            ManagedHeapBytes = snapshot.ManagedHeapBytes,
        };
    }

    public static ModelCard ToCard(this ModelDescription model, long created) => new()
    {
        Id = model.Id,
        Created = created,
        MaxContext = model.Config.MaxContext,
        VocabSize = model.Config.VocabSize,
        NumLayers = model.Config.NumLayers,
        NumHeads = model.Config.NumHeads,
        NumKvHeads = model.Config.NumKvHeads,
        RegroupedFromKvHeads = model.RegroupedFromKvHeads,
        HeadDim = model.Config.HeadDim,
        ParameterCount = model.ParameterCount,
        IsDemo = model.IsDemo,
        HasTokenizer = model.HasTokenizer,
        Source = model.Source,
        Family = model.Family,
        TokenizerKind = model.TokenizerKind,
        EosTokenIds = model.EosTokenIds,
        ChatTemplateSource = model.ChatTemplateOrigin ?? "plain",
        WeightPrecision = model.WeightPrecision,
        ComputePrecision = model.ComputePrecision,
        GenerationDefaults = model.GenerationDefaults.IsEmpty ? null : new ModelGenerationDefaults
        {
            Temperature = model.GenerationDefaults.Temperature,
            TopP = model.GenerationDefaults.TopP,
            TopK = model.GenerationDefaults.TopK,
            RepetitionPenalty = model.GenerationDefaults.RepetitionPenalty,
            MaxNewTokens = model.GenerationDefaults.MaxNewTokens,
        },
        Notes = model.Notes,
    };
}
