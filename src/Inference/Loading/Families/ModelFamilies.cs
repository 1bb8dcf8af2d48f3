namespace GqaService.Inference.Loading.Families;

/// <summary>The families the service can serve exactly. SmolLM2 and TinyLlama are <c>llama</c> configs.</summary>
public static class ModelFamilies
{
    public static ModelFamily Llama { get; } = new()
    {
        Name = "llama",
        Architectures = ["LlamaForCausalLM"],
        GgufArchitecture = "llama",
        // attention_bias / mlp_bias / rope_interleaved are read and refused when true; pretraining_tp only splits the
        // same matmuls during training; is_llama_config is SmolLM2's marker.
        ExtraConfigKeys = new HashSet<string> { "attention_bias", "mlp_bias", "pretraining_tp", "rope_interleaved", "is_llama_config" },
    };

    public static ModelFamily Mistral { get; } = new()
    {
        Name = "mistral",
        Architectures = ["MistralForCausalLM"],
        GgufArchitecture = "llama",
        SlidingWindow = SlidingWindowRule.WhenSet,
        ExtraConfigKeys = new HashSet<string> { "sliding_window" },
    };

    public static ModelFamily Qwen2 { get; } = new()
    {
        Name = "qwen2",
        Architectures = ["Qwen2ForCausalLM"],
        GgufArchitecture = "qwen2",
        QkvBias = true,
        SlidingWindow = SlidingWindowRule.WhenEnabled,
        // llama.cpp keeps Qwen2's q/k rows as Hugging Face has them and rotates halves (NEOX).
        GgufRopeLayout = Model.RopeLayout.RotateHalf,
        ExtraConfigKeys = new HashSet<string> { "sliding_window", "use_sliding_window", "max_window_layers" },
    };

    public static IReadOnlyList<ModelFamily> All { get; } = [Llama, Mistral, Qwen2];

    /// <summary>The family of a config.json <c>model_type</c>, or null when no family has that name.</summary>
    public static ModelFamily? ForModelType(string modelType) => All.FirstOrDefault(f => f.Name == modelType);

    /// <summary>The family of a GGUF <c>general.architecture</c> (Mistral GGUF files say <c>llama</c>).</summary>
    public static ModelFamily? ForGgufArchitecture(string architecture) => architecture switch
    {
        "llama" => Llama,
        "qwen2" => Qwen2,
        _ => null,
    };
}
