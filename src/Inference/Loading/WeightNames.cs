namespace GqaService.Inference.Loading;

/// <summary>Hugging Face Llama parameter names, used as the common vocabulary of every <see cref="ITensorReader"/>.</summary>
internal static class WeightNames
{
    public const string TokenEmbedding = "model.embed_tokens.weight";
    public const string FinalNorm = "model.norm.weight";
    public const string Classifier = "lm_head.weight";

    public static string AttentionNorm(int layer) => $"model.layers.{layer}.input_layernorm.weight";
    public static string Query(int layer) => $"model.layers.{layer}.self_attn.q_proj.weight";
    public static string Key(int layer) => $"model.layers.{layer}.self_attn.k_proj.weight";
    public static string Value(int layer) => $"model.layers.{layer}.self_attn.v_proj.weight";
    public static string Output(int layer) => $"model.layers.{layer}.self_attn.o_proj.weight";
    public static string FeedForwardNorm(int layer) => $"model.layers.{layer}.post_attention_layernorm.weight";
    public static string Gate(int layer) => $"model.layers.{layer}.mlp.gate_proj.weight";
    public static string Up(int layer) => $"model.layers.{layer}.mlp.up_proj.weight";
    public static string Down(int layer) => $"model.layers.{layer}.mlp.down_proj.weight";
}
