using System.Buffers.Binary;
using GqaService.Inference.Model;

namespace GqaService.Inference.Loading;

/// <summary>
/// The 7-int32 header of a llama2.c legacy (version 0) checkpoint. A negative vocabulary size means a separate classifier
/// follows the weights; a positive one means the classifier is the token embedding.
/// </summary>
internal sealed record Llama2cHeader(int Dim, int HiddenDim, int NumLayers, int NumHeads, int NumKvHeads, int SignedVocabSize, int SeqLen)
{
    public const int SizeInBytes = 7 * sizeof(int);

    public bool SharedClassifier => SignedVocabSize > 0;

    public static Llama2cHeader Parse(ReadOnlySpan<byte> bytes)
    {
        Span<int> fields = stackalloc int[7];
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * sizeof(int))..]);
        }
        return new Llama2cHeader(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]);
    }

    /// <summary>Throws <see cref="ModelConfigException"/> naming the first field that cannot describe a decoder.</summary>
    public ModelConfig ToConfig()
    {
        // int.MinValue has no positive counterpart; let validation reject it as a non-positive size.
        var vocab = SignedVocabSize == int.MinValue ? 0 : Math.Abs(SignedVocabSize);
        return new ModelConfig
        {
            Dim = Dim,
            HiddenDim = HiddenDim,
            NumLayers = NumLayers,
            NumHeads = NumHeads,
            NumKvHeads = NumKvHeads,
            VocabSize = vocab,
            MaxContext = SeqLen,
            TiedEmbeddings = SharedClassifier,
            RopeLayout = RopeLayout.Interleaved,
            BosTokenId = 1,
            // llama2.c ends a text by sampling BOS (run.c stops on token 1), not SentencePiece's EOS 2.
            EosTokenId = 1,
        }.Validate();
    }
}
