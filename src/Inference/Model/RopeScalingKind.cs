namespace GqaService.Inference.Model;

/// <summary>How rotary frequencies are stretched for contexts beyond the one a model was pre-trained on.</summary>
public enum RopeScalingKind
{
    /// <summary>Plain RoPE: frequency i is theta^(-2i/d).</summary>
    None,

    /// <summary>Every frequency divided by the factor (positions interpolated).</summary>
    Linear,

    /// <summary>Llama 3.1's scheme: low frequencies divided by the factor, high ones kept, a smooth blend between.</summary>
    Llama3,

    /// <summary>
    /// YaRN (Qwen, Mistral-style long context), as Hugging Face's <c>_compute_yarn_parameters</c>: frequencies ramp from
    /// interpolated (divided by the factor) to extrapolated (kept) between the pairs that rotate <c>beta_slow</c> and
    /// <c>beta_fast</c> times over the original context, and q and k are both scaled by the attention factor (mscale).
    /// </summary>
    Yarn,
}
