using System.Runtime.InteropServices;

namespace GqaService.Inference.Tests.Support;

/// <summary>Writes llama2.c legacy checkpoints with random contents, keeping the arrays to compare against.</summary>
internal sealed class Llama2cCheckpointWriter
{
    public required int Dim { get; init; }
    public required int HiddenDim { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int VocabSize { get; init; }
    public required int SeqLen { get; init; }
    public bool SharedClassifier { get; init; } = true;

    public int KvDim => Dim * NumKvHeads / NumHeads;

    /// <summary>Each array in file order, keyed by llama2.c's name.</summary>
    public List<(string Name, float[] Values)> Arrays { get; } = [];

    public float[] Array(string name) => Arrays.Single(a => a.Name == name).Values;

    public Llama2cCheckpointWriter Fill(int seed)
    {
        var random = new Random(seed);
        float[] Random(long count) => Enumerable.Range(0, (int)count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        long d = Dim, l = NumLayers, f = HiddenDim, v = VocabSize, kv = KvDim, half = Dim / NumHeads / 2;
        Arrays.Clear();
        Arrays.Add(("token_embedding", Random(v * d)));
        Arrays.Add(("rms_att", Random(l * d)));
        Arrays.Add(("wq", Random(l * d * d)));
        Arrays.Add(("wk", Random(l * kv * d)));
        Arrays.Add(("wv", Random(l * kv * d)));
        Arrays.Add(("wo", Random(l * d * d)));
        Arrays.Add(("rms_ffn", Random(l * d)));
        Arrays.Add(("w1", Random(l * f * d)));
        Arrays.Add(("w2", Random(l * d * f)));
        Arrays.Add(("w3", Random(l * f * d)));
        Arrays.Add(("rms_final", Random(d)));
        Arrays.Add(("freq_cis", Random(2 * SeqLen * half)));
        if (!SharedClassifier)
        {
            Arrays.Add(("wcls", Random(v * d)));
        }
        return this;
    }

    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        int[] header = [Dim, HiddenDim, NumLayers, NumHeads, NumKvHeads, SharedClassifier ? VocabSize : -VocabSize, SeqLen];
        stream.Write(MemoryMarshal.AsBytes(header.AsSpan()));
        foreach (var (_, values) in Arrays)
        {
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        return stream.ToArray();
    }

    public static Llama2cCheckpointWriter Small(bool sharedClassifier = true) => new()
    {
        Dim = 16, HiddenDim = 24, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 32, SeqLen = 8, SharedClassifier = sharedClassifier,
    };
}
