using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using TorchSharp;

namespace GqaService.Inference.Tests.Support;

/// <summary>KV pools whose every slot starts as NaN, so a test fails if a kernel reads a slot nobody wrote.</summary>
internal static class PoisonedPools
{
    public static KvPool Create(KvLayout layout, ModelConfig config, int totalBlocks = 64)
    {
        var pool = new KvPool(layout, totalBlocks);
        using var nan = float.NaN.ToScalar();
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            pool.Keys(layer).fill_(nan);
            pool.Values(layer).fill_(nan);
        }
        return pool;
    }
}
