using System.Text.Json.Nodes;
using GqaService.Inference.Loading;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Loading;

/// <summary>
/// rope_scaling of type yarn (Qwen2.5's long-context setting, Mistral-style configs) computes what Hugging Face's
/// <c>_compute_yarn_parameters</c> defines: checked against the float64 reference decoder fed YaRN's frequencies and
/// attention factor as worked out here from the definition, on a Qwen2-shaped model with random weights.
/// </summary>
public sealed class YarnRopeScalingTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>Qwen2.5's own form (factor and original context only), and one with every optional key set.</summary>
    public static TheoryData<string> Scalings => new()
    {
        """{"factor":4.0,"original_max_position_embeddings":64,"type":"yarn"}""",
        """{"factor":8.0,"original_max_position_embeddings":32,"rope_type":"yarn","beta_fast":16,"beta_slow":2,"mscale":1.0,"mscale_all_dim":0.5,"truncate":false}""",
        """{"factor":2.0,"original_max_position_embeddings":128,"rope_type":"yarn","attention_factor":1.25}""",
    };

    [Theory]
    [MemberData(nameof(Scalings))]
    public void ForwardPassMatchesTheFloat64Reference(string scaling)
    {
        var checkpoint = Checkpoint(scaling, seed: scaling.Length);
        checkpoint.WriteTo(_directory.Path);
        using var model = ModelLoader.Load(_directory.Path);
        var tokens = RandomModels.Tokens(new Random(scaling.Length), 40, checkpoint.Vocab);
        var (frequencies, attentionFactor) = Reference(checkpoint);

        var expected = Float64ReferenceDecoder.Logits(checkpoint, tokens, frequencies, attentionFactor);

        Assert.Equal(RopeScalingKind.Yarn, model.Weights.Config.RopeScaling.Kind);
        ModelFamilyTests.AssertClose(expected, ModelFamilyTests.Forward(model.Weights, tokens), 1e-4);
        // The scaling matters: the unscaled model computes something else, so the comparison above can fail.
        var unscaled = Float64ReferenceDecoder.Logits(checkpoint, tokens);
        var difference = unscaled.Zip(expected).Max(rows => rows.First.Zip(rows.Second).Max(p => Math.Abs(p.First - p.Second)));
        Assert.True(difference > 1e-2, $"yarn should move the logits; max difference {difference:E2}");
    }

    [Fact]
    public void DynamicScalingIsRefusedByName()
    {
        Checkpoint("""{"factor":2.0,"type":"dynamic"}""", seed: 1).WriteTo(_directory.Path);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Contains("rope_scaling type 'dynamic' is not supported", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Qwen2.5-0.5B-Instruct's config.json, shrunk (head dim 16: eight rotary pairs for the ramp to cross).</summary>
    private static FamilyCheckpoint Checkpoint(string scaling, int seed)
    {
        var config = JsonNode.Parse(FamilyCheckpoint.Configs.Qwen25)!.AsObject();
        config["hidden_size"] = 64;
        config["num_attention_heads"] = 4;
        config["num_key_value_heads"] = 2;
        config["vocab_size"] = 300;
        config["bos_token_id"] = 298;
        config["eos_token_id"] = 299;
        config["rope_theta"] = 10000.0;
        config["rope_scaling"] = JsonNode.Parse(scaling);
        return FamilyCheckpoint.Create(config.ToJsonString(), seed);
    }

    /// <summary>
    /// YaRN from its definition. Pair i turns L·θ_i / 2π times over the original context L, where θ_i = base^(-2i/d); the pair
    /// index at which that count equals β is d·ln(L / 2πβ) / (2 ln base). Between the index for beta_fast (rounded down) and
    /// the one for beta_slow (rounded up), clipped to [0, d-1], a linear ramp in the pair index goes from extrapolation
    /// (θ_i kept) to interpolation (θ_i / factor). q and k are scaled by 0.1·ln(factor) + 1, or by the ratio of that with
    /// mscale and with mscale_all_dim, or by attention_factor when given.
    /// </summary>
    private static (Func<int, double, double> Frequencies, double AttentionFactor) Reference(FamilyCheckpoint checkpoint)
    {
        var scaling = checkpoint.Config["rope_scaling"]!.AsObject();
        var factor = (double)scaling["factor"]!;
        var original = (double)scaling["original_max_position_embeddings"]!;
        var betaFast = scaling["beta_fast"] is { } fast ? (double)fast : 32;
        var betaSlow = scaling["beta_slow"] is { } slow ? (double)slow : 1;
        var truncate = scaling["truncate"] is not { } t || (bool)t;
        var theta = (double)checkpoint.Config["rope_theta"]!;
        var d = checkpoint.HeadDim;
        double PairTurning(double times) => d * Math.Log(original / (2 * Math.PI * times)) / (2 * Math.Log(theta));
        var low = Math.Max(0, truncate ? Math.Floor(PairTurning(betaFast)) : PairTurning(betaFast));
        var high = Math.Min(d - 1, truncate ? Math.Ceiling(PairTurning(betaSlow)) : PairTurning(betaSlow));
        double Mscale(double m) => 0.1 * m * Math.Log(factor) + 1;
        var attention = scaling["attention_factor"] is { } given ? (double)given
            : scaling["mscale"] is { } m && scaling["mscale_all_dim"] is { } all ? Mscale((double)m) / Mscale((double)all)
            : Mscale(1);
        return ((pair, frequency) =>
        {
            var interpolated = Math.Clamp((pair - low) / (high - low), 0, 1);
            return interpolated * frequency / factor + (1 - interpolated) * frequency;
        }, attention);
    }
}
