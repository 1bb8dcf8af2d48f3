using GqaService.Inference.Kernels;
using GqaService.Inference.KvCache;
using GqaService.Inference.Limits;
using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>Everything the engine thread owns, wired once after the model loads. Disposing it frees the weights and the KV pool.</summary>
internal sealed class EngineParts : IDisposable
{
    public EngineParts(LoadedModel model, EngineOptions options, TimeProvider time, SessionLeases leases, NativeKernels? kernels)
    {
        Config = model.Weights.Config;
        Decoder = new TransformerDecoder(model.Weights, kernels);
        BlockSize = options.BlockSize;
        var layout = KvLayout.For(Config, options);
        var blocks = KvBudget.Blocks(layout, options, ServingLimits.EffectiveContext(Config.MaxContext, options.MaxContext));
        Pool = new KvPool(layout, blocks);
        var prefixIndex = new PrefixBlockIndex(options.PrefixCaching);
        PrefixIndex = prefixIndex;
        Allocator = new BlockAllocator(blocks, cachedBlockEvicted: block => prefixIndex.Forget(block));
        Sessions = new SessionStore(Allocator, PrefixIndex, BlockSize, time, leases);
        Scheduler = new Scheduler(new SchedulerLimits(options.MaxSequencesPerStep, options.MaxBatchedTokens, options.PrefillChunkSize, BlockSize), Allocator, Sessions, time);
        Runner = new ModelRunner(Decoder, Pool);
        EosTokenIds = model.Description.EosTokenIds.ToHashSet();
        Limits = ServingLimits.Create(options, Config, model.Tokenizer is not null, blocks * BlockSize);
        Time = time;
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
    /// <summary>What requests may ask of this engine: the one owner of context, token, stop and timeout limits.</summary>
    public ServingLimits Limits { get; }
    public int MaxContext => Limits.ContextTokens;
    /// <summary>Generation stops on any of these (unless the request ignores EOS).</summary>
    public IReadOnlySet<int> EosTokenIds { get; }
    public TimeProvider Time { get; }

    public void Dispose()
    {
        Runner.Dispose();
        Pool.Dispose();
        Decoder.Dispose();
    }
}
