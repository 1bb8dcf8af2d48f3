using System.Text;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Tests.Tokenization;

public sealed class Gpt2TextTokenizerTests
{
    private static Gpt2TextTokenizer Tokenizer => Gpt2TextTokenizer.Instance;

    [Fact]
    public void EncodesWithGpt2Ids()
    {
        Assert.Equal([15496, 995], Tokenizer.Encode("Hello world"));
        Assert.Equal(50257, Tokenizer.VocabSize);
        Assert.Null(Tokenizer.BosTokenId);
        Assert.Equal(50256, Tokenizer.EosTokenId);
        Assert.Equal(Tokenizer.Encode("Hello world"), Tokenizer.Encode("Hello world", addBos: true));
    }

    [Theory]
    [InlineData("Hello, world!")]
    [InlineData("héllo 日本 🙂 👍🏽 naïve café")]
    [InlineData("  spaces\tand\nnewlines  ")]
    public void TokenBytesAreTheUtf8OfTheText(string text)
    {
        var ids = Tokenizer.Encode(text);
        Assert.Equal(Encoding.UTF8.GetBytes(text), ids.SelectMany(Tokenizer.TokenBytes).ToArray());
        Assert.Equal(text, Tokenizer.Decode(ids));
    }

    [Fact]
    public void SomeTokensCarryPartsOfACharacter()
    {
        var ids = Tokenizer.Encode("🙂");
        Assert.True(ids.Count > 1);
        Assert.Throws<DecoderFallbackException>(() => new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Tokenizer.TokenBytes(ids[0])));
    }

    [Fact]
    public void EndOfTextTokenHasItsText() => Assert.Equal("<|endoftext|>"u8.ToArray(), Tokenizer.TokenBytes(50256));
}
