namespace GqaService.Inference.Loading;

/// <summary>Hugging Face Llama parameter names, used as the common vocabulary of every <see cref="ITensorReader"/>.</summary>
internal static class WeightNames
{
    public const string TokenEmbedding = "model.embed_tokens.weight";
    public const string FinalNorm = "model.norm.weight";
    public const string Classifier = "lm_head.weight";

    public const string AttentionNormSuffix = "input_layernorm.weight";
    public const string QuerySuffix = "self_attn.q_proj.weight";
    public const string KeySuffix = "self_attn.k_proj.weight";
    public const string ValueSuffix = "self_attn.v_proj.weight";
    public const string QueryBiasSuffix = "self_attn.q_proj.bias";
    public const string KeyBiasSuffix = "self_attn.k_proj.bias";
    public const string ValueBiasSuffix = "self_attn.v_proj.bias";
    public const string OutputSuffix = "self_attn.o_proj.weight";
    public const string FeedForwardNormSuffix = "post_attention_layernorm.weight";
    public const string GateSuffix = "mlp.gate_proj.weight";
    public const string UpSuffix = "mlp.up_proj.weight";
    public const string DownSuffix = "mlp.down_proj.weight";

    private const string LayerPrefix = "model.layers.";

    public static string AttentionNorm(int layer) => InLayer(layer, AttentionNormSuffix);
    public static string Query(int layer) => InLayer(layer, QuerySuffix);
    public static string Key(int layer) => InLayer(layer, KeySuffix);
    public static string Value(int layer) => InLayer(layer, ValueSuffix);
    public static string QueryBias(int layer) => InLayer(layer, QueryBiasSuffix);
    public static string KeyBias(int layer) => InLayer(layer, KeyBiasSuffix);
    public static string ValueBias(int layer) => InLayer(layer, ValueBiasSuffix);
    public static string Output(int layer) => InLayer(layer, OutputSuffix);
    public static string FeedForwardNorm(int layer) => InLayer(layer, FeedForwardNormSuffix);
    public static string Gate(int layer) => InLayer(layer, GateSuffix);
    public static string Up(int layer) => InLayer(layer, UpSuffix);
    public static string Down(int layer) => InLayer(layer, DownSuffix);

    /// <summary>Splits <c>model.layers.{layer}.{suffix}</c>; false for names outside the layers.</summary>
    public static bool TryParseLayerName(string name, out int layer, out string suffix)
    {
        layer = -1;
        suffix = "";
        if (!name.StartsWith(LayerPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = name.AsSpan(LayerPrefix.Length);
        var dot = rest.IndexOf('.');
        if (dot <= 0 || !int.TryParse(rest[..dot], out layer))
        {
            return false;
        }
        suffix = rest[(dot + 1)..].ToString();
        return true;
    }

    private static string InLayer(int layer, string suffix) => $"{LayerPrefix}{layer}.{suffix}";
}
