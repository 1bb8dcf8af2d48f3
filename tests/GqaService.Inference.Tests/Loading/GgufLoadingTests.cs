using System.Buffers.Binary;
using System.Text;
using GqaService.Inference.Loading;
using GqaService.Inference.Loading.Gguf;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Loading;

/// <summary>llama.cpp's own GGUF conversions of stories260K (F32, F16, Q8_0, Q4_0), and malformed copies of them.</summary>
public sealed class GgufLoadingTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static string File(string name) => Path.Combine(SharedModels.Directory, "stories260K-gguf", name);

    [RequiresSharedModelsFact]
    public void F32FileReproducesEveryExpectedGreedyCase()
    {
        // The converter wrote context_length 128 for a model trained with 512, so the context is chosen explicitly.
        using var model = ModelLoader.Load(File("stories260K.gguf"), contextLength: 512);

        Assert.Equal("llama", model.Description.Family);
        Assert.Equal("F32", model.Description.WeightPrecision);
        Assert.Equal(RopeLayout.Interleaved, model.Weights.Config.RopeLayout);
        foreach (var expected in ExpectedGreedyCase.Load())
        {
            Assert.Equal(expected.ExpectedIds, GreedyDecoding.Run(model.Weights, expected.PromptIds, expected.MaxNewTokens));
        }
    }

    [RequiresSharedModelsFact]
    public void F16FileReproducesEveryExpectedGreedyCase()
    {
        using var model = ModelLoader.Load(File("stories260K-f16.gguf"), contextLength: 512);

        Assert.Equal("F16, F32", model.Description.WeightPrecision);
        foreach (var expected in ExpectedGreedyCase.Load())
        {
            Assert.Equal(expected.ExpectedIds, GreedyDecoding.Run(model.Weights, expected.PromptIds, expected.MaxNewTokens));
        }
    }

    [RequiresSharedModelsFact]
    public void Q8_0FileTellsTheSameStoryForAWhile()
    {
        using var model = ModelLoader.Load(File("stories260K-q8_0.gguf"), contextLength: 512);
        var first = ExpectedGreedyCase.Load()[0];

        var ids = GreedyDecoding.Run(model.Weights, first.PromptIds, first.MaxNewTokens);

        Assert.Equal("F16, F32, Q8_0", model.Description.WeightPrecision);
        // Quantised weights compute a slightly different model: the story starts as the F32 one does (llama.cpp's own
        // Q8_0 run keeps 114 tokens of it; it also quantises activations, which this engine does not).
        var common = ids.Zip(first.ExpectedIds).TakeWhile(p => p.First == p.Second).Count();
        Assert.True(common >= 50, $"only {common} tokens in common with the F32 story");
    }

    [RequiresSharedModelsTheory]
    [InlineData("stories260K-f16.gguf")]
    [InlineData("stories260K-q8_0.gguf")]
    [InlineData("stories260K-q4_0.gguf")]
    public void EveryTensorDequantisesAsThePerBlockDefinition(string name)
    {
        using var file = GgufFile.Open(File(name));
        using var f32 = GgufFile.Open(File("stories260K.gguf"));

        foreach (var info in file.Tensors.Values)
        {
            var actual = file.ReadFloat32(info);
            Assert.Equal(Reference(info.Type, file.RawBytes(info), info.ElementCount), actual);
            // And close to the unquantised original, within what the type can represent.
            var original = f32.ReadFloat32(f32.Tensors[info.Name]);
            for (var block = 0; block < original.Length / 32; block++)
            {
                var scale = original.Skip(block * 32).Take(32).Max(Math.Abs);
                // Rounding to the type's step (Q8_0: d = max/127, half a step; Q4_0: d = max/8, up to a step at the clamped
                // end), plus the float16 rounding of d itself (2^-11 relative, times the largest quantum).
                var bound = info.Type switch
                {
                    GgmlType.F16 => scale / 1024,
                    GgmlType.Q8_0 => scale / 127 / 2 + scale / 2048,
                    GgmlType.Q4_0 => scale / 8 + scale / 2048,
                    _ => 0,
                };
                for (var j = block * 32; j < block * 32 + 32; j++)
                {
                    Assert.True(Math.Abs(actual[j] - original[j]) <= bound + 1e-7, $"{name} {info.Name}[{j}]: {actual[j]} vs {original[j]} ({info.Type})");
                }
            }
        }
    }

    [RequiresSharedModelsFact]
    public void BadMagicIsRefused()
    {
        var bytes = System.IO.File.ReadAllBytes(File("stories260K.gguf"));
        bytes[0] = (byte)'X';
        var error = LoadCopy(bytes);
        Assert.Contains("bad magic", error.Message, StringComparison.Ordinal);
    }

    [RequiresSharedModelsFact]
    public void TruncatedFileIsRefused()
    {
        var bytes = System.IO.File.ReadAllBytes(File("stories260K.gguf"));
        var error = LoadCopy(bytes[..(bytes.Length * 2 / 3)]);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [RequiresSharedModelsFact]
    public void UnknownTensorTypeIsRefused()
    {
        var bytes = System.IO.File.ReadAllBytes(File("stories260K.gguf"));
        // output_norm.weight: name, n_dims (1), ne[0], then the type.
        var at = TensorEntry(bytes, "output_norm.weight") + 4 + 8;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 99);
        var error = LoadCopy(bytes);
        Assert.Contains("tensor 'output_norm.weight' has ggml type 99", error.Message, StringComparison.Ordinal);
    }

    [RequiresSharedModelsFact]
    public void InconsistentShapeIsRefused()
    {
        var bytes = System.IO.File.ReadAllBytes(File("stories260K.gguf"));
        // blk.0.attn_k.weight is ne = [64, 32]; swapping them keeps its size but not its shape.
        var at = TensorEntry(bytes, "blk.0.attn_k.weight") + 4;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), 32);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at + 8), 64);
        var error = LoadCopy(bytes);
        Assert.Contains("tensor 'blk.0.attn_k.weight' has shape [64, 32], the model needs [32, 64]", error.Message, StringComparison.Ordinal);
    }

    private ModelLoadException LoadCopy(byte[] bytes)
    {
        var path = _directory.File("broken.gguf");
        System.IO.File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(path, contextLength: 512));
        Assert.Equal(path, error.Path);
        return error;
    }

    /// <summary>Where a tensor's entry continues after its name (the n_dims field), found by its length-prefixed name.</summary>
    private static int TensorEntry(byte[] bytes, string name)
    {
        var key = new byte[8 + name.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(key, (ulong)name.Length);
        Encoding.ASCII.GetBytes(name).CopyTo(key, 8);
        var at = bytes.AsSpan().IndexOf(key);
        Assert.True(at > 0);
        return at + key.Length;
    }

    /// <summary>ggml's block formats, straight from their definitions: F16 halves; Q8_0 = f16 d + 32 int8; Q4_0 = f16 d + 16 bytes, low nibbles first.</summary>
    private static float[] Reference(GgmlType type, byte[] raw, long count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = type switch
            {
                GgmlType.F32 => BitConverter.ToSingle(raw, 4 * i),
                GgmlType.F16 => (float)BitConverter.ToHalf(raw, 2 * i),
                GgmlType.Q8_0 => (float)BitConverter.ToHalf(raw, i / 32 * 34) * (sbyte)raw[i / 32 * 34 + 2 + i % 32],
                GgmlType.Q4_0 => (float)BitConverter.ToHalf(raw, i / 32 * 18)
                    * ((i % 32 < 16 ? raw[i / 32 * 18 + 2 + i % 32] & 0xF : raw[i / 32 * 18 + 2 + i % 32 - 16] >> 4) - 8),
                _ => throw new InvalidOperationException(type.ToString()),
            };
        }
        return values;
    }
}
