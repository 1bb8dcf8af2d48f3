namespace GqaService.Inference.Loading.Families;

/// <summary>Where the RMSNorms sit in a layer. The decoder implements pre-norm (Llama, Mistral, Qwen2) only.</summary>
public enum NormPlacement
{
    /// <summary>x + attn(norm(x)), then x + mlp(norm(x)); one final norm before the classifier.</summary>
    PreNorm,
}
