namespace GqaService.Inference.Loading.Families;

/// <summary>The gated feed-forward's activation. Only SiLU (SwiGLU) is implemented by the decoder.</summary>
public enum Activation
{
    /// <summary>silu(gate(x)) * up(x), config names "silu" or "swish".</summary>
    Silu,
}
