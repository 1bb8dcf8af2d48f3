using GqaService.Inference.KvCache;
using GqaService.Inference.Limits;
using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>Everything the engine thread owns, wired once after the model loads. Disposing it frees the weights and the KV pool.</summary>
internal sealed class EngineParts : IDisposable
{
    public EngineParts(LoadedModel model, EngineOptions options, TimeProvider time)
    {
        Config = model.Weights.Config;
        Decoder = new TransformerDecoder(model.Weights);
        BlockSize = options.BlockSize;
        MaxContext = ServingLimits.EffectiveContext(Config.MaxContext, options.MaxContext);
        var blocks = KvBudget.Blocks(Config, options, MaxContext);
        Pool = new KvPool(Config, blocks, BlockSize);
        Allocator = new BlockAllocator(blocks);
        PrefixIndex = new PrefixBlockIndex();
        Sessions = new SessionStore(Allocator, PrefixIndex, BlockSize, time);
        Scheduler = new Scheduler(new SchedulerLimits(options.MaxSequencesPerStep, options.MaxBatchedTokens, options.PrefillChunkSize, BlockSize), Allocator, Sessions);
        Runner = new ModelRunner(Decoder, Pool);
        EosTokenId = Config.EosTokenId;
        SessionIdleTimeout = TimeSpan.FromSeconds(options.SessionIdleTimeoutSeconds);
    }

    public ModelConfig Config { get; }
    public TransformerDecoder Decoder { get; }
    public KvPool Pool { get; }
    public BlockAllocator Allocator { get; }
    public PrefixBlockIndex PrefixIndex { get; }
    public SessionStore Sessions { get; }
    public Scheduler Scheduler { get; }
    public ModelRunner Runner { get; }
    public int BlockSize { get; }
    public int MaxContext { get; }
    public int EosTokenId { get; }
    public TimeSpan SessionIdleTimeout { get; }

    public void Dispose()
    {
        Pool.Dispose();
        Decoder.Dispose();
    }
}
