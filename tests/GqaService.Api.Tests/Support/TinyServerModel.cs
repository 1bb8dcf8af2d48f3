namespace GqaService.Api.Tests.Support;

/// <summary>
/// A tiny random llama2.c checkpoint with a long context, written for tests that start the server process: it loads in
/// milliseconds, needs no ../shared, and its streams can run for thousands of tokens (so a drain can outlast none of them).
/// 64 bytes of KV per token (2 layers, one KV head of width 4).
/// </summary>
internal sealed class TinyServerModel : IDisposable
{
    public const int Context = 16384;

    private readonly TemporaryDirectory _directory = new();

    public TinyServerModel()
    {
        Path = _directory.File("tiny.bin");
        var writer = new Llama2cCheckpointWriter { Dim = 16, HiddenDim = 32, NumLayers = 2, NumHeads = 4, NumKvHeads = 1, VocabSize = 32, SeqLen = Context };
        File.WriteAllBytes(Path, writer.Fill(seed: 9).ToBytes());
    }

    public string Path { get; }

    public void Dispose() => _directory.Dispose();
}
