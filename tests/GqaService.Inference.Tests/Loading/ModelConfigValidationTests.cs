using GqaService.Inference.Model;

namespace GqaService.Inference.Tests.Loading;

public sealed class ModelConfigValidationTests
{
    private static readonly ModelConfig Valid = new()
    {
        Dim = 64, NumLayers = 2, NumHeads = 8, NumKvHeads = 4, HiddenDim = 172, VocabSize = 512, MaxContext = 512,
    };

    [Fact]
    public void KvHeadsThatDoNotDivideHeadsAreRejected()
    {
        var error = Assert.Throws<ModelConfigException>(() => (Valid with { NumKvHeads = 3 }).Validate());
        Assert.Equal("NumKvHeads", error.Field);
    }

    [Fact]
    public void ValidConfigPasses() => Assert.Same(Valid, Valid.Validate());
}
