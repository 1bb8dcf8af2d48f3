namespace GqaService.Inference.Tests.Support;

/// <summary>
/// llama2.c checkpoints with fresh random weights from a fixed seed, written once per test process, so every engine test runs
/// on a fresh clone without ../shared. Only golden tests (outputs compared with llama.cpp's) need the shared model.
/// </summary>
internal static class TinyCheckpoints
{
    private static readonly TemporaryDirectory Directory = CreateDirectory();
    private static readonly Lazy<string> StoriesShapedPath = new(() => Write("stories-shaped.bin", StoriesShapedWriter(), seed: 260));

    /// <summary>
    /// stories260K's shape (dim 64, 5 layers, 8 query / 4 KV heads, hidden 172, vocab 512, context 512) with random weights:
    /// the same KV bytes per token (1280), so the KV budgets the tests choose force the same block counts (1 MiB = 51 blocks).
    /// No tokenizer: requests use token ids.
    /// </summary>
    public static string StoriesShaped => StoriesShapedPath.Value;

    public const int StoriesShapedVocabSize = 512;

    public static Llama2cCheckpointWriter StoriesShapedWriter() => new()
    {
        Dim = 64, HiddenDim = 172, NumLayers = 5, NumHeads = 8, NumKvHeads = 4, VocabSize = StoriesShapedVocabSize, SeqLen = 512,
    };

    /// <summary>Writes <paramref name="writer"/> filled from <paramref name="seed"/> under this process's temporary directory.</summary>
    public static string Write(string name, Llama2cCheckpointWriter writer, int seed)
    {
        var path = Directory.File(name);
        File.WriteAllBytes(path, writer.Fill(seed).ToBytes());
        return path;
    }

    private static TemporaryDirectory CreateDirectory()
    {
        var directory = new TemporaryDirectory();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => directory.Dispose();
        return directory;
    }
}
