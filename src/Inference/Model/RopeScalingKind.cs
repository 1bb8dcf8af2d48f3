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
}
