using GqaService.Inference.Loading;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Loading;

/// <summary>generation_config.json's sampling values become the model's <see cref="Engine.GenerationDefaults"/>; impossible ones are refused.</summary>
public sealed class GenerationConfigTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Llama32GenerationConfigGivesItsDefaults()
    {
        FamilyCheckpoint.Create(FamilyCheckpoint.Configs.Llama32, seed: 40).WriteTo(_directory.Path);
        // meta-llama/Llama-3.2-1B-Instruct's generation_config.json, as shipped.
        File.WriteAllText(_directory.File("generation_config.json"), """
            {"bos_token_id":128000,"do_sample":true,"eos_token_id":[128001,128008,128009],"temperature":0.6,"top_p":0.9,"transformers_version":"4.45.0.dev0"}
            """);

        using var model = ModelLoader.Load(_directory.Path);

        var defaults = model.Description.GenerationDefaults;
        Assert.Equal(0.6f, defaults.Temperature);
        Assert.Equal(0.9f, defaults.TopP);
        Assert.Null(defaults.TopK);
        Assert.Null(defaults.MaxNewTokens);
        Assert.False(defaults.IsEmpty);
    }

    [Fact]
    public void NoGenerationConfigMeansNoDefaults()
    {
        FamilyCheckpoint.Create(FamilyCheckpoint.Configs.TinyLlama, seed: 41).WriteTo(_directory.Path);

        using var model = ModelLoader.Load(_directory.Path);

        Assert.True(model.Description.GenerationDefaults.IsEmpty);
    }

    [Theory]
    [InlineData("""{"top_p":1.5}""", "top_p must be in (0, 1] (got 1.5)")]
    [InlineData("""{"temperature":-1}""", "temperature must be at least 0 (got -1)")]
    [InlineData("""{"top_k":2.5}""", "top_k must be a whole number of at least 0 (got 2.5)")]
    [InlineData("""{"max_new_tokens":0}""", "max_new_tokens must be a whole number of at least 1 (got 0)")]
    [InlineData("""{"repetition_penalty":"high"}""", "repetition_penalty must be a number")]
    public void ImpossibleValuesAreRefusedWithTheFileAndField(string json, string expected)
    {
        FamilyCheckpoint.Create(FamilyCheckpoint.Configs.TinyLlama, seed: 42).WriteTo(_directory.Path);
        var path = _directory.File("generation_config.json");
        File.WriteAllText(path, json);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_directory.Path));

        Assert.Equal(path, error.Path);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
