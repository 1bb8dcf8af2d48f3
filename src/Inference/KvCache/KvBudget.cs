using GqaService.Inference.Engine;
using GqaService.Inference.Model;

namespace GqaService.Inference.KvCache;

/// <summary>Turns the configured KV budget (or a default sized for the model and the machine) into a block count of a <see cref="KvLayout"/>.</summary>
public static class KvBudget
{
    /// <summary>The budget in bytes, for the layout the options ask for (<c>Inference:KvDtype</c>).</summary>
    public static long Bytes(ModelConfig config, EngineOptions options, int maxContext) =>
        Bytes(KvLayout.For(config, options), options, maxContext);

    public static int Blocks(ModelConfig config, EngineOptions options, int maxContext) =>
        Blocks(KvLayout.For(config, options), options, maxContext);

    public static long Bytes(KvLayout layout, EngineOptions options, int maxContext)
    {
        if (options.KvCacheMiB > 0)
        {
            return options.KvCacheMiB * 1024L * 1024L;
        }
        // Enough for every step slot to hold a full context, but never more than a quarter of the machine's memory.
        var wanted = layout.BytesPerToken * maxContext * (long)options.MaxSequencesPerStep;
        var quarterOfMemory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;
        return Math.Min(wanted, quarterOfMemory);
    }

    public static int Blocks(KvLayout layout, EngineOptions options, int maxContext) =>
        layout.BlocksFor(Bytes(layout, options, maxContext));
}
