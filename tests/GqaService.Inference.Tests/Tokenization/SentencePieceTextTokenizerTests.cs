using System.Text;
using GqaService.Inference.Tests.Support;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Tests.Tokenization;

public sealed class SentencePieceTextTokenizerTests
{
    private static readonly Lazy<SentencePieceTextTokenizer> Stories = new(() => SentencePieceTextTokenizer.Load(SharedModels.Stories260KTokenizer));

    [RequiresSharedModelsFact]
    public void EncodesEveryReferencePromptToLlama2cIds()
    {
        var cases = ExpectedGreedyCase.Load().Where(c => c.PromptText is not null).ToList();
        Assert.NotEmpty(cases);
        foreach (var @case in cases)
        {
            Assert.Equal(@case.PromptIds, Stories.Value.Encode(@case.PromptText!));
        }
    }

    [RequiresSharedModelsTheory]
    [InlineData("x")]
    [InlineData("I")]
    [InlineData("\n")]
    [InlineData(" x")]
    [InlineData("x ")]
    [InlineData("é")]
    [InlineData("a b  c")]
    public void ShortTexts_EncodeToBosAndPieces_ThatDecodeBackToTheText(string text)
    {
        var ids = Stories.Value.Encode(text);
        Assert.Equal(1, ids[0]);
        Assert.True(ids.Count >= 2, $"'{text}' encoded to [{string.Join(",", ids)}]");
        Assert.Equal(text, Stories.Value.Decode(ids));
    }

    [RequiresSharedModelsFact]
    public void HasLlamaSpecialTokens()
    {
        var tokenizer = Stories.Value;
        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(1, tokenizer.BosTokenId);
        Assert.Equal(2, tokenizer.EosTokenId);
        Assert.Equal([1], tokenizer.Encode(""));
        Assert.Empty(tokenizer.Encode("", addBos: false));
        Assert.Equal(tokenizer.Encode("Once upon a time").Skip(1), tokenizer.Encode("Once upon a time", addBos: false));
    }

    /// <summary>
    /// llama2.c prints each piece, dropping the leading space of the piece right after BOS. Decode drops SentencePiece's
    /// dummy prefix the same way (and skips BOS), so decoding the generated ids alone gives llama2.c's text exactly.
    /// </summary>
    [RequiresSharedModelsFact]
    public void DecodeOfReferenceOutputIsLlama2cText()
    {
        var first = ExpectedGreedyCase.Load()[0];
        Assert.Equal([1], first.PromptIds);

        Assert.Equal(first.ExpectedText, Stories.Value.Decode(first.ExpectedIds));
        Assert.Equal(first.ExpectedText, Stories.Value.Decode([.. first.PromptIds, .. first.ExpectedIds]));
    }

    [RequiresSharedModelsFact]
    public void TokenBytesSpellTheTextIncludingTheDummyPrefixSpace()
    {
        var first = ExpectedGreedyCase.Load()[0];
        var bytes = first.ExpectedIds.SelectMany(Stories.Value.TokenBytes).ToArray();
        Assert.Equal(" " + first.ExpectedText, Encoding.UTF8.GetString(bytes));
    }

    [RequiresSharedModelsFact]
    public void ByteFallbackPiecesAreSingleBytes()
    {
        var tokenizer = Stories.Value;
        Assert.Equal([(byte)'\n'], tokenizer.TokenBytes(13));
        Assert.Empty(tokenizer.TokenBytes(1));
        Assert.Empty(tokenizer.TokenBytes(2));
        Assert.Empty(tokenizer.TokenBytes(100_000));

        const string text = "Lily saw 日本 and é.";
        var ids = tokenizer.Encode(text, addBos: false);
        Assert.Contains(ids, id => tokenizer.TokenBytes(id) is [>= 0x80]);
        Assert.Equal(" " + text, Encoding.UTF8.GetString(ids.SelectMany(tokenizer.TokenBytes).ToArray()));
        Assert.Equal(text, tokenizer.Decode(ids));
    }
}
