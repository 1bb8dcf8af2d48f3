using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GqaService.Inference.Tests.Support;

/// <summary>
/// A tiny Hugging Face directory for one model family: a config.json with that family's real keys (sizes shrunk) and
/// F32 safetensors of seeded random weights, every tensor named and shaped as the family's checkpoints have them.
/// </summary>
internal sealed class FamilyCheckpoint
{
    private FamilyCheckpoint(JsonObject config)
    {
        Config = config;
    }

    public JsonObject Config { get; }

    /// <summary>Tensor name → (shape, values).</summary>
    public Dictionary<string, (long[] Shape, float[] Values)> Tensors { get; } = new(StringComparer.Ordinal);

    public int Dim => (int)Config["hidden_size"]!;
    public int Heads => (int)Config["num_attention_heads"]!;
    public int KvHeads => (int)Config["num_key_value_heads"]!;
    public int HeadDim => Config["head_dim"] is { } h ? (int)h : Dim / Heads;
    public int Hidden => (int)Config["intermediate_size"]!;
    public int Layers => (int)Config["num_hidden_layers"]!;
    public int Vocab => (int)Config["vocab_size"]!;
    public bool Tied => Config["tie_word_embeddings"] is { } t && (bool)t;
    public bool QkvBias => (string)Config["model_type"]! == "qwen2";

    /// <summary>A config.json text (a real model's, with shrunk sizes) and random weights for it.</summary>
    public static FamilyCheckpoint Create(string configJson, int seed)
    {
        var checkpoint = new FamilyCheckpoint(JsonNode.Parse(configJson)!.AsObject());
        checkpoint.FillWeights(new Random(seed));
        return checkpoint;
    }

    public void WriteTo(string directory)
    {
        File.WriteAllText(Path.Combine(directory, "config.json"), Config.ToJsonString());
        var writer = new SafetensorsWriter();
        foreach (var (name, (shape, values)) in Tensors)
        {
            writer.Add(name, "F32", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        }
        writer.Write(Path.Combine(directory, "model.safetensors"));
    }

    private void FillWeights(Random random)
    {
        long d = Dim, q = Heads * HeadDim, kv = KvHeads * HeadDim, f = Hidden, v = Vocab;
        float[] Normal(long count, double std, double mean = 0) => Enumerable.Range(0, (int)count).Select(_ => (float)(mean + std * Gaussian(random))).ToArray();
        void Matrix(string name, long rows, long columns) => Tensors[name] = ([rows, columns], Normal(rows * columns, 1.0 / Math.Sqrt(columns)));
        void Vector(string name, long length, double std, double mean) => Tensors[name] = ([length], Normal(length, std, mean));

        Matrix("model.embed_tokens.weight", v, d);
        for (var i = 0; i < Layers; i++)
        {
            var p = $"model.layers.{i}.";
            Vector(p + "input_layernorm.weight", d, 0.1, 1);
            Matrix(p + "self_attn.q_proj.weight", q, d);
            Matrix(p + "self_attn.k_proj.weight", kv, d);
            Matrix(p + "self_attn.v_proj.weight", kv, d);
            if (QkvBias)
            {
                Vector(p + "self_attn.q_proj.bias", q, 0.5, 0);
                Vector(p + "self_attn.k_proj.bias", kv, 0.5, 0);
                Vector(p + "self_attn.v_proj.bias", kv, 0.5, 0);
            }
            Matrix(p + "self_attn.o_proj.weight", d, q);
            Vector(p + "post_attention_layernorm.weight", d, 0.1, 1);
            Matrix(p + "mlp.gate_proj.weight", f, d);
            Matrix(p + "mlp.up_proj.weight", f, d);
            Matrix(p + "mlp.down_proj.weight", d, f);
        }
        Vector("model.norm.weight", d, 0.1, 1);
        if (!Tied)
        {
            Matrix("lm_head.weight", v, d);
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Real config.json files of each family, sizes shrunk so the model is tiny; every other key as the model ships it.</summary>
    public static class Configs
    {
        /// <summary>meta-llama/Llama-3.2-1B-Instruct: llama3 rope scaling, three EOS ids, head_dim given, tied.</summary>
        public const string Llama32 = """
            {"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":128000,"eos_token_id":[128001,128008,128009],
             "head_dim":12,"hidden_act":"silu","hidden_size":32,"initializer_range":0.02,"intermediate_size":40,"max_position_embeddings":256,"mlp_bias":false,
             "model_type":"llama","num_attention_heads":4,"num_hidden_layers":2,"num_key_value_heads":2,"pretraining_tp":1,"rms_norm_eps":1e-05,
             "rope_scaling":{"factor":8.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":64,"rope_type":"llama3"},
             "rope_theta":10000.0,"tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.45.0.dev0","use_cache":true,"vocab_size":128300}
            """;

        /// <summary>Qwen/Qwen2.5-0.5B-Instruct: q/k/v biases, sliding window present but off, tied.</summary>
        public const string Qwen25 = """
            {"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,"eos_token_id":151645,"hidden_act":"silu","hidden_size":28,
             "initializer_range":0.02,"intermediate_size":48,"max_position_embeddings":256,"max_window_layers":21,"model_type":"qwen2","num_attention_heads":7,
             "num_hidden_layers":2,"num_key_value_heads":1,"rms_norm_eps":1e-06,"rope_theta":1000000.0,"sliding_window":256,"tie_word_embeddings":true,
             "torch_dtype":"bfloat16","transformers_version":"4.43.1","use_cache":true,"use_sliding_window":false,"vocab_size":151936}
            """;

        /// <summary>HuggingFaceTB/SmolLM2-135M-Instruct: llama with SmolLM2's extra keys, tied.</summary>
        public const string SmolLm2 = """
            {"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu",
             "hidden_size":24,"initializer_range":0.041666666666666664,"intermediate_size":64,"is_llama_config":true,"max_position_embeddings":256,"mlp_bias":false,
             "model_type":"llama","num_attention_heads":3,"num_hidden_layers":2,"num_key_value_heads":1,"pad_token_id":2,"pretraining_tp":1,"rms_norm_eps":1e-05,
             "rope_interleaved":false,"rope_scaling":null,"rope_theta":100000,"tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.42.3",
             "transformers.js_config":{"kv_cache_dtype":{"q4f16":"float16","fp16":"float16"}},"use_cache":true,"vocab_size":200}
            """;

        /// <summary>TinyLlama/TinyLlama-1.1B-Chat-v1.0: untied classifier.</summary>
        public const string TinyLlama = """
            {"architectures":["LlamaForCausalLM"],"attention_bias":false,"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":32,
             "initializer_range":0.02,"intermediate_size":56,"max_position_embeddings":256,"model_type":"llama","num_attention_heads":4,"num_hidden_layers":2,
             "num_key_value_heads":1,"pretraining_tp":1,"rms_norm_eps":1e-05,"rope_scaling":null,"rope_theta":10000.0,"tie_word_embeddings":false,
             "torch_dtype":"bfloat16","transformers_version":"4.35.0","use_cache":true,"vocab_size":320}
            """;

        /// <summary>mistralai/Mistral-7B-v0.1: a sliding window shorter than max_position_embeddings, untied.</summary>
        public const string Mistral01 = """
            {"architectures":["MistralForCausalLM"],"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":32,"initializer_range":0.02,
             "intermediate_size":56,"max_position_embeddings":512,"model_type":"mistral","num_attention_heads":4,"num_hidden_layers":2,"num_key_value_heads":2,
             "rms_norm_eps":1e-05,"rope_theta":10000.0,"sliding_window":64,"tie_word_embeddings":false,"torch_dtype":"bfloat16",
             "transformers_version":"4.34.0.dev0","use_cache":true,"vocab_size":320}
            """;

        /// <summary>mistralai/Mistral-Nemo-Instruct-2407: head_dim (128) differs from hidden_size / heads (160), no window.</summary>
        public const string MistralNemo = """
            {"architectures":["MistralForCausalLM"],"attention_dropout":0.0,"bos_token_id":1,"eos_token_id":2,"head_dim":6,"hidden_act":"silu","hidden_size":40,
             "initializer_range":0.02,"intermediate_size":56,"max_position_embeddings":256,"model_type":"mistral","num_attention_heads":4,"num_hidden_layers":2,
             "num_key_value_heads":2,"rms_norm_eps":1e-05,"rope_theta":1000000.0,"sliding_window":null,"tie_word_embeddings":false,"torch_dtype":"bfloat16",
             "transformers_version":"4.43.0.dev0","use_cache":true,"vocab_size":320}
            """;
    }
}
