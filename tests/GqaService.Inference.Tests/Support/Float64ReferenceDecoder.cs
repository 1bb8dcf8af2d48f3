namespace GqaService.Inference.Tests.Support;

/// <summary>
/// A Hugging Face Llama/Mistral/Qwen2 forward pass written out plainly in float64 from the models' definitions: RMSNorm,
/// q/k/v projections (plus biases when present), rotate-half RoPE on (optionally rope-scaled) frequencies, causal
/// attention with every query head reading its K/V head, SwiGLU, final norm, classifier. Nothing is shared with the
/// service's decoder.
/// </summary>
internal static class Float64ReferenceDecoder
{
    /// <summary>Logits [tokens][vocab] for every position of <paramref name="tokens"/>.</summary>
    /// <param name="scaleFrequency">Rope scaling: (pair index, inverse frequency) to the scaled inverse frequency.</param>
    /// <param name="attentionFactor">YaRN's mscale: q and k are multiplied by it after rotation.</param>
    public static double[][] Logits(FamilyCheckpoint model, int[] tokens, Func<int, double, double>? scaleFrequency = null, double attentionFactor = 1)
    {
        var config = model.Config;
        var eps = (double)config["rms_norm_eps"]!;
        var theta = (double)config["rope_theta"]!;
        int d = model.Dim, h = model.Heads, hkv = model.KvHeads, dh = model.HeadDim, n = tokens.Length;
        double[] W(string name) => model.Tensors[name].Values.Select(x => (double)x).ToArray();
        var embedding = W("model.embed_tokens.weight");
        var x = tokens.Select(t => embedding.AsSpan(t * d, d).ToArray()).ToArray();
        var inverseFrequency = Enumerable.Range(0, dh / 2).Select(i => scaleFrequency?.Invoke(i, Math.Pow(theta, -2.0 * i / dh)) ?? Math.Pow(theta, -2.0 * i / dh)).ToArray();
        for (var layer = 0; layer < model.Layers; layer++)
        {
            var p = $"model.layers.{layer}.";
            var normed = x.Select(row => Norm(row, W(p + "input_layernorm.weight"), eps)).ToArray();
            var q = normed.Select(row => Linear(row, W(p + "self_attn.q_proj.weight"), h * dh, Bias(model, p + "self_attn.q_proj.bias"))).ToArray();
            var k = normed.Select(row => Linear(row, W(p + "self_attn.k_proj.weight"), hkv * dh, Bias(model, p + "self_attn.k_proj.bias"))).ToArray();
            var v = normed.Select(row => Linear(row, W(p + "self_attn.v_proj.weight"), hkv * dh, Bias(model, p + "self_attn.v_proj.bias"))).ToArray();
            for (var t = 0; t < n; t++)
            {
                Rotate(q[t], h, dh, t, inverseFrequency);
                Rotate(k[t], hkv, dh, t, inverseFrequency);
                for (var i = 0; i < q[t].Length; i++) q[t][i] *= attentionFactor;
                for (var i = 0; i < k[t].Length; i++) k[t][i] *= attentionFactor;
            }
            var attended = new double[n][];
            for (var t = 0; t < n; t++)
            {
                attended[t] = new double[h * dh];
                for (var head = 0; head < h; head++)
                {
                    var kvHead = head / (h / hkv);
                    var scores = new double[t + 1];
                    for (var s = 0; s <= t; s++)
                    {
                        for (var i = 0; i < dh; i++) scores[s] += q[t][head * dh + i] * k[s][kvHead * dh + i];
                        scores[s] /= Math.Sqrt(dh);
                    }
                    var max = scores.Max();
                    var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                    var total = weights.Sum();
                    for (var s = 0; s <= t; s++)
                    {
                        for (var i = 0; i < dh; i++) attended[t][head * dh + i] += weights[s] / total * v[s][kvHead * dh + i];
                    }
                }
            }
            for (var t = 0; t < n; t++)
            {
                Add(x[t], Linear(attended[t], W(p + "self_attn.o_proj.weight"), d, null));
                var m = Norm(x[t], W(p + "post_attention_layernorm.weight"), eps);
                var gate = Linear(m, W(p + "mlp.gate_proj.weight"), model.Hidden, null);
                var up = Linear(m, W(p + "mlp.up_proj.weight"), model.Hidden, null);
                var hidden = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
                Add(x[t], Linear(hidden, W(p + "mlp.down_proj.weight"), d, null));
            }
        }
        var classifier = model.Tied ? embedding : W("lm_head.weight");
        return x.Select(row => Linear(Norm(row, W("model.norm.weight"), eps), classifier, model.Vocab, null)).ToArray();
    }

    private static double[]? Bias(FamilyCheckpoint model, string name) =>
        model.Tensors.TryGetValue(name, out var bias) ? bias.Values.Select(b => (double)b).ToArray() : null;

    private static double[] Norm(double[] x, double[] weight, double eps)
    {
        var rms = Math.Sqrt(x.Sum(v => v * v) / x.Length + eps);
        return x.Select((v, i) => v / rms * weight[i]).ToArray();
    }

    /// <summary>y = W x + b with W [out, in] row-major.</summary>
    private static double[] Linear(double[] x, double[] w, int outputs, double[]? bias)
    {
        var y = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var sum = bias?[o] ?? 0;
            for (var i = 0; i < x.Length; i++) sum += w[o * x.Length + i] * x[i];
            y[o] = sum;
        }
        return y;
    }

    /// <summary>Hugging Face's rotate_half: pair i with i + dh/2 in each head.</summary>
    private static void Rotate(double[] x, int heads, int dh, int position, double[] inverseFrequency)
    {
        for (var head = 0; head < heads; head++)
        {
            for (var i = 0; i < dh / 2; i++)
            {
                var angle = position * inverseFrequency[i];
                var (a, b) = (x[head * dh + i], x[head * dh + i + dh / 2]);
                x[head * dh + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                x[head * dh + i + dh / 2] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
        }
    }

    private static void Add(double[] into, double[] value)
    {
        for (var i = 0; i < into.Length; i++) into[i] += value[i];
    }
}
