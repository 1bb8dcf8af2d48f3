using System.Text;
using GqaService.Inference.Tests.Support;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Tests.Tokenization;

public sealed class IncrementalDetokenizerTests
{
    [Theory]
    [InlineData("héllo 日本")]
    [InlineData("emoji 🙂👍🏽 and 🇫🇷 flags")]
    public void Gpt2StreamNeverSplitsACharacter(string text)
    {
        var tokenizer = Gpt2TextTokenizer.Instance;
        var deltas = Stream(new IncrementalDetokenizer(tokenizer), tokenizer.Encode(text), out var flushed);

        Assert.Equal("", flushed);
        Assert.Equal(text, string.Concat(deltas));
        Assert.All(deltas, d => Assert.DoesNotContain('\uFFFD', d));
        Assert.All(deltas, d => Assert.False(d.Length > 0 && char.IsLowSurrogate(d[0]), "delta starts inside a surrogate pair"));
        Assert.Contains("", deltas);
    }

    [RequiresSharedModelsFact]
    public void ByteFallbackPiecesAreHeldUntilTheCharacterIsComplete()
    {
        var tokenizer = SentencePieceTextTokenizer.Load(SharedModels.Stories260KTokenizer);
        const string text = "Tom saw 日本.";
        var ids = tokenizer.Encode(text, addBos: false);

        var deltas = Stream(new IncrementalDetokenizer(tokenizer), ids, out var flushed);

        Assert.Equal(" " + text, string.Concat(deltas) + flushed);
        Assert.Contains("日", deltas);
        Assert.Contains("本", deltas);
        Assert.DoesNotContain(deltas, d => d.Contains('\uFFFD'));
    }

    [RequiresSharedModelsFact]
    public void AfterBosTheDummyPrefixSpaceIsDroppedAsLlama2cDoes()
    {
        var tokenizer = SentencePieceTextTokenizer.Load(SharedModels.Stories260KTokenizer);
        var first = ExpectedGreedyCase.Load()[0];

        var deltas = Stream(new IncrementalDetokenizer(tokenizer, previousToken: 1), first.ExpectedIds, out var flushed);

        Assert.Equal(first.ExpectedText, string.Concat(deltas) + flushed);
    }

    [Fact]
    public void IncompleteBytesAreHeldAndFlushedAsReplacement()
    {
        var euro = Encoding.UTF8.GetBytes("€");
        var tokenizer = new FakeByteTokenizer([[euro[0]], [euro[1]], [euro[2]], "a"u8.ToArray(), [0xF0, 0x9F]]);
        var detokenizer = new IncrementalDetokenizer(tokenizer);

        Assert.Equal("", detokenizer.Add(0));
        Assert.Equal("", detokenizer.Add(1));
        Assert.Equal("€", detokenizer.Add(2));
        Assert.Equal("a", detokenizer.Add(3));
        Assert.Equal("", detokenizer.Add(4));
        Assert.Equal("\uFFFD", detokenizer.Flush());
        Assert.Equal("", detokenizer.Flush());
    }

    [Fact]
    public void StrayContinuationBytesDoNotStallTheStream()
    {
        var tokenizer = new FakeByteTokenizer([[0x80], "b"u8.ToArray()]);
        var detokenizer = new IncrementalDetokenizer(tokenizer);
        Assert.Equal("\uFFFD", detokenizer.Add(0));
        Assert.Equal("b", detokenizer.Add(1));
    }

    [Fact]
    public void LeadingSpaceIsKeptWhenThePreviousTokenIsNotBos()
    {
        var tokenizer = new FakeByteTokenizer([[], " x"u8.ToArray()], bos: 0);
        Assert.Equal("x", new IncrementalDetokenizer(tokenizer, previousToken: 0).Add(1));
        Assert.Equal(" x", new IncrementalDetokenizer(tokenizer).Add(1));
        Assert.Equal(" x", new IncrementalDetokenizer(tokenizer, previousToken: 1).Add(1));
    }

    private static List<string> Stream(IncrementalDetokenizer detokenizer, IEnumerable<int> ids, out string flushed)
    {
        var deltas = ids.Select(detokenizer.Add).ToList();
        flushed = detokenizer.Flush();
        return deltas;
    }
}
