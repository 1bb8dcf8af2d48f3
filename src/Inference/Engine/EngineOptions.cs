using System.ComponentModel.DataAnnotations;

namespace GqaService.Inference.Engine;

/// <summary>Engine settings, bound from the "Inference" configuration section and validated at start.</summary>
public sealed class EngineOptions
{
    public const string SectionName = "Inference";

    /// <summary>llama2.c .bin file or Hugging Face directory; empty selects the built-in demo model.</summary>
    public string? ModelPath { get; set; }

    /// <summary>SentencePiece tokenizer.model; default: the one beside the weights.</summary>
    public string? TokenizerPath { get; set; }

    /// <summary>KV cache budget in MiB; 0 sizes it for MaxSequencesPerStep full contexts, capped at a quarter of RAM.</summary>
    [Range(0, 1 << 20)]
    public int KvCacheMiB { get; set; }

    [Range(1, 1024)]
    public int BlockSize { get; set; } = 16;

    [Range(1, 4096)]
    public int MaxSequencesPerStep { get; set; } = 64;

    [Range(1, 1 << 20)]
    public int MaxBatchedTokens { get; set; } = 512;

    /// <summary>Long prompts are prefilled this many tokens per step so running streams keep flowing.</summary>
    [Range(1, 1 << 20)]
    public int PrefillChunkSize { get; set; } = 256;

    [Range(0, 1 << 20)]
    public int MaxWaitingRequests { get; set; } = 256;

    [Range(1, 1 << 20)]
    public int DefaultMaxTokens { get; set; } = 256;

    [Range(1, 1 << 20)]
    public int MaxTokensLimit { get; set; } = 4096;

    [Range(0, 64)]
    public int MaxStopSequences { get; set; } = 4;

    /// <summary>Longest stop string, in characters.</summary>
    [Range(1, 4096)]
    public int MaxStopSequenceLength { get; set; } = 256;

    [Range(1, Limits.SessionIds.MaxLength)]
    public int MaxSessionIdLength { get; set; } = Limits.SessionIds.MaxLength;

    /// <summary>0 means the model's own context length; otherwise a smaller cap.</summary>
    [Range(0, 1 << 20)]
    public int MaxContext { get; set; }

    [Range(0, 7 * 24 * 3600)]
    public int SessionIdleTimeoutSeconds { get; set; } = 900;

    /// <summary>Default per-request deadline (queue time included); 0 disables it.</summary>
    [Range(0, 24 * 3600)]
    public int RequestTimeoutSeconds { get; set; } = 300;

    [Range(0, 3600)]
    public int ShutdownTimeoutSeconds { get; set; } = 10;

    /// <summary>Intra-op threads for libtorch; 0 chooses: one for small models (dim &lt; 512), every core otherwise.</summary>
    [Range(0, 1024)]
    public int TorchThreads { get; set; }
}
