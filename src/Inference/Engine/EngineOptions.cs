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

    /// <summary>
    /// Element type of the KV cache: <c>f32</c>, <c>bf16</c> or <c>f16</c> (<see cref="KvCache.KvLayout"/>). A 16-bit cache
    /// holds twice the tokens in the same <see cref="KvCacheMiB"/>; attention still computes in float32.
    /// </summary>
    public string KvDtype { get; set; } = "f32";

    /// <summary>
    /// Element type linear weights are stored and multiplied in: <c>auto</c>, <c>f32</c>, <c>bf16</c>, <c>f16</c> or <c>q8_0</c>
    /// (llama.cpp's int8 blocks, multiplied by the native kernel; float32 when the kernels are off or absent). <c>auto</c>
    /// takes bf16 only where the CPU has native bf16 and a start-up measurement shows it faster (see
    /// <see cref="Precision.WeightDtypeChooser"/>). The default, f32, reproduces llama2.c's outputs exactly.
    /// </summary>
    public string WeightDtype { get; set; } = "f32";

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

    /// <summary>
    /// GGUF only: the context the model was trained for when the file states it wrongly (llama.cpp's llama2.c converter
    /// writes 128 for stories260K's 512), as llama.cpp's <c>--override-kv {arch}.context_length=int:N</c>. 0 keeps the
    /// file's. <see cref="MaxContext"/> still caps what is served.
    /// </summary>
    [Range(0, 1 << 20)]
    public int GgufContextLength { get; set; }

    [Range(0, 7 * 24 * 3600)]
    public int SessionIdleTimeoutSeconds { get; set; } = 900;

    /// <summary>Default per-request deadline (queue time included); 0 disables it.</summary>
    [Range(0, 24 * 3600)]
    public int RequestTimeoutSeconds { get; set; } = 300;

    [Range(0, 3600)]
    public int ShutdownTimeoutSeconds { get; set; } = 10;

    /// <summary>Automatic prefix caching: a finished request's full KV blocks stay in the pool, indexed by content (per
    /// tenant), until their space is needed, so a repeated prompt prefix is not computed again. Off: freed blocks are
    /// emptied at once (running requests still share identical prefixes).</summary>
    public bool PrefixCaching { get; set; } = true;

    /// <summary>
    /// Regroup the model's K/V heads to this many at load by mean pooling (GQA conversion, no uptraining); must divide the
    /// model's K/V head count (checked when it loads). 0 serves the checkpoint's own heads.
    /// </summary>
    [Range(0, 1 << 16)]
    public int KvHeads { get; set; }

    /// <summary>
    /// One OpenTelemetry span per engine step (source <c>GqaService.Engine</c>), linked from each request's span. Unset: on
    /// exactly when an OTLP exporter is configured (a span costs about 0.1-0.2% of a stories260K step, docs/observatory.md;
    /// without an exporter nobody would read them).
    /// </summary>
    public bool? StepSpans { get; set; }

    /// <summary>
    /// Use the project's own CPU kernels (libgqakernels.so, <see cref="Kernels.NativeKernels"/>) where they serve the case;
    /// false runs every operation in libtorch, the reference path the kernels are tested against.
    /// </summary>
    public bool NativeKernels { get; set; } = true;

    /// <summary>
    /// How long the native kernels' idle workers spin before they sleep (<see cref="Kernels.NativeKernels.DefaultSpinMicroseconds"/>
    /// says why the default is what it is).
    /// </summary>
    [Range(0, 100_000)]
    public int KernelSpinMicroseconds { get; set; } = Kernels.NativeKernels.DefaultSpinMicroseconds;

    /// <summary>
    /// Once the model is loaded, let go of the resident pages of libtorch's start-up code (<see cref="Native.LibraryCodePages"/>
    /// says why that is safe): the stories260K server's idle resident set falls from 225 to 193 MiB. False keeps them mapped.
    /// </summary>
    public bool ReleaseStartupCode { get; set; } = true;

    /// <summary>Intra-op threads for libtorch; 0 chooses: one for small models (dim &lt; 512), every core otherwise.</summary>
    [Range(0, 1024)]
    public int TorchThreads { get; set; }
}
