namespace GqaService.Inference.Tests.Support;

/// <summary>
/// llama2.c checkpoints with fresh random weights from a fixed seed, written once per test process, so every engine test runs
/// on a fresh clone without ../shared. Only golden tests (outputs compared with llama.cpp's) need the shared model.
/// </summary>
internal static class TinyCheckpoints
{
    private static readonly TemporaryDirectory Directory = CreateDirectory();
    private static readonly Lazy<string> StoriesShapedPath = new(() => Write("stories-shaped.bin", StoriesShapedWriter(), seed: 260, classifierScale: 16));

    /// <summary>
    /// stories260K's shape (dim 64, 5 layers, 8 query / 4 KV heads, hidden 172, vocab 512, context 512) with random weights:
    /// the same KV bytes per token (1280), so the KV budgets the tests choose force the same block counts (1 MiB = 51 blocks).
    /// No tokenizer: requests use token ids. Its own classifier is scaled up so the logits spread like a trained model's
    /// (standard deviation about 40 rather than 3): with flat random logits, two tokens a rounding error apart are common
    /// enough that a batched and a solo run (different matmul shapes, equally correct) would pick differently now and then.
    /// </summary>
    public static string StoriesShaped => StoriesShapedPath.Value;

    public const int StoriesShapedVocabSize = 512;

    public static Llama2cCheckpointWriter StoriesShapedWriter() => new()
    {
        Dim = 64, HiddenDim = 172, NumLayers = 5, NumHeads = 8, NumKvHeads = 4, VocabSize = StoriesShapedVocabSize, SeqLen = 512,
        SharedClassifier = false,
    };

    /// <summary>
    /// Writes <paramref name="writer"/> filled from <paramref name="seed"/> under this process's temporary directory, its
    /// separate classifier (if any) multiplied by <paramref name="classifierScale"/>.
    /// </summary>
    public static string Write(string name, Llama2cCheckpointWriter writer, int seed, float classifierScale = 1)
    {
        writer.Fill(seed);
        if (!writer.SharedClassifier)
        {
            var classifier = writer.Array("wcls");
            for (var i = 0; i < classifier.Length; i++)
            {
                classifier[i] *= classifierScale;
            }
        }
        var path = Directory.File(name);
        File.WriteAllBytes(path, writer.ToBytes());
        return path;
    }

    private static TemporaryDirectory CreateDirectory()
    {
        var directory = new TemporaryDirectory();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => directory.Dispose();
        return directory;
    }
}
