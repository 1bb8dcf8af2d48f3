using GqaService.Inference.Engine;
using GqaService.Inference.Model;

namespace GqaService.Inference.KvCache;

/// <summary>Turns the configured KV budget (or a default sized for the model and the machine) into a block count.</summary>
public static class KvBudget
{
    public static long Bytes(ModelConfig config, EngineOptions options, int maxContext)
    {
        if (options.KvCacheMiB > 0)
        {
            return options.KvCacheMiB * 1024L * 1024L;
        }
        // Enough for every step slot to hold a full context, but never more than a quarter of the machine's memory.
        var wanted = config.KvBytesPerToken(sizeof(float)) * maxContext * (long)options.MaxSequencesPerStep;
        var quarterOfMemory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;
        return Math.Min(wanted, quarterOfMemory);
    }

    public static int Blocks(ModelConfig config, EngineOptions options, int maxContext)
    {
        var bytesPerBlock = config.KvBytesPerToken(sizeof(float)) * options.BlockSize;
        return (int)Math.Max(1, Bytes(config, options, maxContext) / bytesPerBlock);
    }
}
